//! Network errors: what went wrong hosting or joining a drill, with where (an address) when there is one.
//! Every message lives in the one `Display` match below.

use std::fmt;
use std::net::SocketAddr;

/// Why hosting or joining a drill failed.
#[derive(Debug)]
pub enum NetError {
    /// The async runtime or a thread could not start.
    Runtime(std::io::Error),
    /// The terminal editor could not start.
    Terminal(rustyline::error::ReadlineError),
    /// The host cannot listen on its address (in use, not a local address…).
    Listen {
        /// The address asked for.
        addr: SocketAddr,
        /// What the system said.
        source: std::io::Error,
    },
    /// No host answers at the address.
    Connect {
        /// The address given.
        addr: String,
        /// What the connection attempt said.
        message: String,
    },
    /// The host refused the participant (a wrong code, a taken name, a bad frame…).
    Refused {
        /// The host's reason.
        reason: String,
    },
    /// The connection broke.
    Lost {
        /// What broke.
        message: String,
    },
    /// The host vanished and did not come back while the client kept trying.
    HostGone {
        /// The host's address.
        addr: String,
        /// How long the client tried, in seconds.
        secs: u64,
    },
    /// The host sent something that is not a frame of this protocol.
    Malformed {
        /// What was wrong.
        message: String,
    },
    /// The task that owns the drill stopped before handing it back.
    DrillStopped,
}

impl fmt::Display for NetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetError::Runtime(e) => write!(f, "cannot start the network runtime: {e}"),
            NetError::Terminal(e) => write!(f, "cannot open the terminal: {e}"),
            NetError::Listen { addr, source } => write!(f, "cannot listen on {addr}: {source}"),
            NetError::Connect { addr, message } => write!(f, "cannot connect to {addr}: {message}"),
            NetError::Refused { reason } => write!(f, "{reason}"),
            NetError::Lost { message } => write!(f, "connection lost: {message}"),
            NetError::HostGone { addr, secs } => write!(
                f,
                "the host at {addr} closed the connection and did not come back within {secs}s; \
                 rejoin with the same command once it is up again"
            ),
            NetError::Malformed { message } => write!(f, "malformed frame from the host: {message}"),
            NetError::DrillStopped => write!(f, "the drill task stopped unexpectedly"),
        }
    }
}

impl std::error::Error for NetError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            NetError::Runtime(e) | NetError::Listen { source: e, .. } => Some(e),
            NetError::Terminal(e) => Some(e),
            NetError::Connect { .. }
            | NetError::Refused { .. }
            | NetError::Lost { .. }
            | NetError::HostGone { .. }
            | NetError::Malformed { .. }
            | NetError::DrillStopped => None,
        }
    }
}
