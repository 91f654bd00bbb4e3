//! One integration test binary; each module covers one command or concern.

mod common;
mod fuzz;

mod test_check_command;
mod test_determinism;
mod test_differential;
mod test_docs;
mod test_fleet;
mod test_fuzz;
mod test_harness;
mod test_help;
mod test_hidden_truth;
mod test_host_command;
mod test_host_resume_command;
mod test_html_debrief;
mod test_journal;
mod test_no_input_loses_a_drill;
mod test_play_command;
mod test_pool_scenario;
mod test_prometheus_api;
mod test_promql_suite;
mod test_query;
mod test_query_command;
mod test_replay_command;
mod test_responder_commands;
mod test_resume_command;
mod test_scenario_errors;
mod test_scenario_language;
mod test_scenario_limits;
mod test_scoring;
mod test_show_command;
mod test_simulation;
mod test_team_scoring;
mod test_volunteer_commands;
mod test_wheel_commands;
mod test_world_language;
