//! Ctrl-C and SIGTERM, handled so that no service is ever left half-written.
//!
//! Outside a write, a signal ends svcgen at once, as it would without a handler (exit code
//! 128 + the signal's number: 130 for SIGINT, 143 for SIGTERM). While a write is in progress
//! ([`Critical`]), the signal is only noted: the writer checks [`check`] between files, rolls
//! back what it did, and returns [`Error::Interrupted`], which the command reports and turns
//! into the same exit code. SIGKILL cannot be caught; what it leaves behind is recovered by
//! the next command (see [`super::transaction::recover`]).

use std::sync::Once;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};

use crate::error::{Error, Result};

/// The signal received while a write was in progress, 0 for none.
static RECEIVED: AtomicI32 = AtomicI32::new(0);
/// How many writes are in progress (a fleet update runs several at once).
static CRITICAL: AtomicUsize = AtomicUsize::new(0);

/// Starts listening for SIGINT and SIGTERM. Called once by the binary; library users that do not
/// call it keep the default behaviour of those signals.
pub fn install() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        #[cfg(unix)]
        {
            use signal_hook::consts::{SIGINT, SIGTERM};
            let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
                // Without a handler the signals keep their default effect: nothing is lost
                // that a `kill -9` would not also lose, and that is recovered.
                return;
            };
            std::thread::spawn(move || {
                for signal in signals.forever() {
                    if CRITICAL.load(Ordering::SeqCst) == 0 {
                        std::process::exit(128 + signal);
                    }
                    RECEIVED.store(signal, Ordering::SeqCst);
                }
            });
        }
    });
}

/// Fails with [`Error::Interrupted`] once a signal has arrived.
pub fn check() -> Result<()> {
    match RECEIVED.load(Ordering::SeqCst) {
        0 => Ok(()),
        signal => Err(Error::Interrupted { signal }),
    }
}

/// The signal that interrupted this process, if one did.
pub fn received() -> Option<i32> {
    match RECEIVED.load(Ordering::SeqCst) {
        0 => None,
        signal => Some(signal),
    }
}

/// While one of these is alive, a signal is noted instead of ending the process.
pub struct Critical(());

impl Critical {
    /// Enters a critical section; fails at once if a signal has already arrived.
    pub fn enter() -> Result<Critical> {
        CRITICAL.fetch_add(1, Ordering::SeqCst);
        let section = Critical(());
        check()?;
        Ok(section)
    }
}

impl Drop for Critical {
    fn drop(&mut self) {
        CRITICAL.fetch_sub(1, Ordering::SeqCst);
    }
}
