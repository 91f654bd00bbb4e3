//! Prometheus's HTTP API on a live drill, so a team can bring `promtool` and Grafana to it
//! (`docs/grafana.md`).
//!
//! The drill's thread publishes its volunteer-visible series after every input ([`Publisher`], `live.rs`);
//! the API answers from the newest snapshot, never holding the drill (`api.rs`), with parameters and errors as
//! Prometheus reads and writes them (`params.rs`) and answers in its JSON (`json.rs`), served on a thread and
//! runtime of its own, on its own port or on connections a host hands over from the host's port (`serve.rs`).
//!
//! Its clock is the drill's: at each request the drill's current simulated time is mapped onto the wall
//! clock's now, so the samples of the last simulated hour carry the timestamps of the last wall-clock hour and
//! an instant query without a time sees the drill's present. Nothing later than that present exists yet, so
//! nothing from the simulated future can be served.

pub mod api;
pub mod json;
mod live;
pub mod params;
mod serve;

pub use api::{Api, Endpoint, PROMETHEUS_VERSION, Success, wall_now};
pub use live::{LiveSeries, MAX_SNAPSHOT_SAMPLES, MetricMetadata, Published, Publisher, Snapshot, WallClockView};
pub use params::{ApiError, Params};
pub use serve::{ApiServer, MAX_API_CONNECTIONS, SharedPort};
