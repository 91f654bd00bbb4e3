//! Lines and signals in one stream: the line source is read on its own thread, so a signal that arrives
//! while the REPL waits for input (SIGTERM, SIGHUP) ends the drill at once, with its debrief, instead of
//! killing the process and losing the record.

use super::{LineSource, Read};
use std::io;
use std::sync::mpsc::{self, Receiver, Sender};

/// A signal that ends the drill.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// SIGTERM.
    Terminate,
    /// SIGHUP: the terminal went away.
    Hangup,
    /// SIGINT outside the prompt (at the prompt Ctrl-C only cancels the line).
    Interrupt,
}

impl Stop {
    /// The signal's name.
    pub fn name(self) -> &'static str {
        match self {
            Stop::Terminate => "SIGTERM",
            Stop::Hangup => "SIGHUP",
            Stop::Interrupt => "SIGINT",
        }
    }
}

/// What the REPL gets next.
#[derive(Debug)]
pub enum Next {
    /// What reading the source gave.
    Read(io::Result<Read>),
    /// A signal.
    Stop(Stop),
}

/// A line source read on its own thread, merged with signals.
pub struct Feed {
    prompts: Sender<String>,
    nexts: Receiver<Next>,
    sender: Sender<Next>,
    waiting: bool,
    /// Terminal settings to put back if the drill ends while the editor holds the terminal in raw mode.
    saved: Option<nix::sys::termios::Termios>,
    /// Whether a person types the lines at a terminal (not a script or a pipe).
    interactive: bool,
}

impl Feed {
    /// Starts reading `source` on its own thread (one line per [`Feed::next`]).
    pub fn new(mut source: LineSource) -> Feed {
        let interactive = source.is_terminal();
        let saved = if interactive { nix::sys::termios::tcgetattr(io::stdin()).ok() } else { None };
        let (prompts, prompt_rx) = mpsc::channel::<String>();
        let (sender, nexts) = mpsc::channel();
        let reader = sender.clone();
        std::thread::spawn(move || {
            while let Ok(prompt) = prompt_rx.recv() {
                let read = source.read(&prompt);
                let last = matches!(read, Ok(Read::End) | Err(_));
                if reader.send(Next::Read(read)).is_err() || last {
                    break;
                }
            }
        });
        Feed { prompts, nexts, sender, waiting: false, saved, interactive }
    }

    /// Whether a person types the lines at a terminal, so the REPL may ask them questions.
    pub fn is_interactive(&self) -> bool {
        self.interactive
    }

    /// Also delivers SIGTERM, SIGHUP and SIGINT as [`Next::Stop`] instead of letting them kill the process.
    pub fn with_signals(self) -> io::Result<Feed> {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGHUP, SIGINT])?;
        let sender = self.sender.clone();
        std::thread::spawn(move || {
            for signal in signals.forever() {
                let stop = match signal {
                    SIGTERM => Stop::Terminate,
                    SIGHUP => Stop::Hangup,
                    _ => Stop::Interrupt,
                };
                if sender.send(Next::Stop(stop)).is_err() {
                    break;
                }
            }
        });
        Ok(self)
    }

    /// The next line (showing `prompt` if the source has a screen) or a signal, whichever comes first.
    /// A signal that arrived while the last line was being handled is delivered before any more input.
    pub fn next(&mut self, prompt: &str) -> Next {
        if !self.waiting {
            if let Ok(next) = self.nexts.try_recv() {
                return next;
            }
            if self.prompts.send(prompt.to_string()).is_err() {
                return Next::Read(Ok(Read::End));
            }
            self.waiting = true;
        }
        match self.nexts.recv() {
            Ok(next @ Next::Read(_)) => {
                self.waiting = false;
                next
            }
            Ok(stop) => stop,
            Err(_) => Next::Read(Ok(Read::End)),
        }
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        // The reader thread may still be inside the editor, with the terminal in raw mode.
        if self.waiting
            && let Some(saved) = &self.saved
        {
            let _ = nix::sys::termios::tcsetattr(io::stdin(), nix::sys::termios::SetArg::TCSANOW, saved);
        }
    }
}
