//! The messages of a hosted drill, shared by the server and the client: JSON text frames over one WebSocket.
//!
//! Every frame names the protocol version it speaks in the `Hello`/`Welcome` handshake; both sides refuse a
//! version they do not know. What the server sends is built only from the volunteer view of the drill's
//! events (`session::volunteer_view`) and the lines responders typed: never from GM-only state.
//! `docs/protocol.md` describes the frames for people writing another client.

use crate::session::Doc;
use serde::{Deserialize, Serialize};

/// The protocol version this build speaks.
pub const PROTOCOL_VERSION: u32 = 3;

/// Largest frame either side accepts, in bytes; a bigger one closes the connection.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;

/// The WebSocket path participants connect to.
pub const WS_PATH: &str = "/ws";

/// A frame a participant sends.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientFrame {
    /// The first frame: who is joining, with the drill's join code.
    Hello {
        /// The protocol version the client speaks.
        protocol: u32,
        /// The join code the GM gave out.
        code: String,
        /// The participant's name, shown with every command they run.
        name: String,
        /// Join read-only, as an observer.
        #[serde(default)]
        observe: bool,
    },
    /// A command line typed by a responder.
    Line {
        /// The line as typed.
        text: String,
    },
    /// Tab pressed: what could complete the line typed so far (a responder only).
    Complete {
        /// The line up to the cursor.
        line: String,
    },
    /// Before `resolve` at a terminal: which of the 5 Ws are not recorded yet (a responder only)? The server
    /// answers `five_ws`; the client asks its user for each and sends the answers as `5w` lines.
    FiveWs,
    /// The participant leaves.
    Leave,
}

/// A frame the server sends.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ServerFrame {
    /// The answer to `Hello`: the drill's visible history so far.
    Welcome {
        /// The protocol version the server speaks.
        protocol: u32,
        /// The name the participant joined as.
        name: String,
        /// Whether the participant is an observer.
        observer: bool,
        /// Seconds after midnight at the page, for clock labels.
        page_time_of_day: i64,
        /// Everything visible that happened before the participant joined (or rejoined).
        history: Vec<Item>,
    },
    /// Something visible happened.
    Item(Item),
    /// The participant's last line has been handled; the prompt may come back.
    Ready {
        /// Simulated seconds from the page.
        t: i64,
    },
    /// The answer to `complete`: where the word being completed starts, and what could complete it.
    Completions {
        /// Byte offset in the line where the word being completed starts.
        start: usize,
        /// Candidates, sorted.
        candidates: Vec<String>,
    },
    /// The answer to `five_ws`: the questions of the 5 Ws not recorded yet, in order.
    FiveWs {
        /// Each W not yet answered, with its question.
        unanswered: Vec<FiveWQuestion>,
    },
    /// The drill is over; the server closes the connection after this.
    Over {
        /// Why, in words.
        reason: String,
    },
    /// The server closes the connection, and why (wrong code, a bad frame, an observer sending a command…).
    Refused {
        /// Why, in words.
        reason: String,
        /// Trying again shortly may work (the name is held by a connection that dropped and has not been
        /// noticed yet); a wrong code or a bad frame is final.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        retry: bool,
    },
}

/// One of the 5 Ws and its question, as `resolve` asks it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FiveWQuestion {
    /// The word `5w` takes: `what`, `where`, `why`, `when`, `who`.
    pub w: String,
    /// The question, e.g. "What was the system trying to do?".
    pub question: String,
}

/// One visible entry of the drill's stream.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// Position in the drill's event stream.
    pub seq: u64,
    /// Simulated seconds from the page.
    pub t: i64,
    /// What it is.
    pub view: View,
}

/// What a participant sees of an event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum View {
    /// A responder ran a command.
    Typed {
        /// Who ran it.
        by: String,
        /// The line as typed.
        line: String,
    },
    /// Text to show: a command's output, an alert, a message, a word from the GM.
    Shown {
        /// The text with its styles.
        doc: Doc,
    },
}

impl ClientFrame {
    /// Reads a frame, naming what was wrong when it is not one.
    pub fn decode(text: &str) -> Result<ClientFrame, String> {
        serde_json::from_str(text).map_err(|e| format!("malformed frame: {e}"))
    }

    /// The frame as JSON text.
    pub fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl ServerFrame {
    /// Reads a frame, naming what was wrong when it is not one.
    pub fn decode(text: &str) -> Result<ServerFrame, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    /// The frame as JSON text.
    pub fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_read_as_documented() {
        let hello = ClientFrame::Hello { protocol: 3, code: "abc".into(), name: "alex".into(), observe: false };
        assert_eq!(hello.encode(), r#"{"type":"hello","protocol":3,"code":"abc","name":"alex","observe":false}"#);
        assert_eq!(ClientFrame::decode(r#"{"type":"five_ws"}"#).unwrap(), ClientFrame::FiveWs);
        let asked = ServerFrame::FiveWs {
            unanswered: vec![FiveWQuestion { w: "why".into(), question: "Why did it fail?".into() }],
        };
        assert_eq!(asked.encode(), r#"{"type":"five_ws","unanswered":[{"w":"why","question":"Why did it fail?"}]}"#);
        assert_eq!(ServerFrame::decode(&asked.encode()).unwrap(), asked);
        assert_eq!(ClientFrame::decode(&hello.encode()).unwrap(), hello);
        assert_eq!(
            ClientFrame::decode(r#"{"type":"line","text":"status"}"#).unwrap(),
            ClientFrame::Line { text: "status".into() }
        );
        let item =
            ServerFrame::Item(Item { seq: 3, t: 30, view: View::Typed { by: "alex".into(), line: "status".into() } });
        assert_eq!(
            item.encode(),
            r#"{"type":"item","seq":3,"t":30,"view":{"kind":"typed","by":"alex","line":"status"}}"#
        );
        assert_eq!(ServerFrame::decode(&item.encode()).unwrap(), item);
    }

    #[test]
    fn unknown_and_malformed_frames_are_errors() {
        assert!(
            ClientFrame::decode(r#"{"type":"gm","line":"goto incident resolved"}"#)
                .unwrap_err()
                .contains("unknown variant")
        );
        assert!(ClientFrame::decode("not json").unwrap_err().starts_with("malformed frame"));
        assert!(ClientFrame::decode(r#"{"type":"line","text":"x","extra":1}"#).is_err());
    }
}
