//! wom: the Wheel of Misfortune drill engine.
//!
//! Layers, each depending only on the ones above it:
//! - [`scenario`]: the RON file format, loading and validation;
//! - [`sim`]: the bevy_ecs simulation of services, telemetry, alerts and the incident state machine;
//! - [`promql`]: the PromQL engine over the simulation's series (and any other store of series);
//! - [`session`]: a drill: volunteer commands in, events out, scoring and the debrief;
//! - [`wheel`]: the roster, the history of drills played and the spin that picks the next one;
//! - [`repl`]: the terminal front end;
//! - [`net`]: hosted drills: the server, the client and the GM console;
//! - [`http`]: Prometheus's HTTP API on a live drill, for promtool and Grafana.

pub mod cli;
pub mod http;
pub mod journal;
pub mod net;
pub mod promql;
pub mod repl;
pub mod scenario;
pub mod session;
pub mod sim;
pub mod wheel;

/// mimalloc for every binary built on wom: queries over wide selections allocate and free hundreds of
/// thousands of small vectors across threads, which glibc's allocator serves several times slower.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
