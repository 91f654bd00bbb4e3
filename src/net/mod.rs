//! Drills over the network: one host process owns the drill; responders and observers join over a WebSocket
//! (axum on tokio, one port), send the lines they type and render what they are sent.
//!
//! - [`protocol`]: the versioned frames both sides share (documented in `docs/protocol.md`);
//! - [`server`]: the host, with the task that owns the `Drill` and one handler per connection;
//! - [`client`]: a participant's connection and the `wom join` front end;
//! - [`console`]: the GM console on the host's terminal (`wom host`).

pub mod client;
pub mod console;
pub mod error;
pub mod protocol;
pub mod server;

pub use client::{Connection, JoinEnd, JoinInput, JoinOptions, join, render_frame};
pub use console::{HostOptions, host};
pub use error::NetError;
pub use protocol::{ClientFrame, FiveWQuestion, Item, MAX_FRAME_BYTES, PROTOCOL_VERSION, ServerFrame, View};
pub use server::{Host, HostConfig, Stopped, new_join_code};
