//! The progress of a long command-line job (the imports, issue 16; ADR
//! 0035): a bar (`indicatif`) when stderr is a terminal, and plain lines
//! otherwise (`… 500/2000 cartes`), every [`PLAIN_EVERY`] items and at the
//! end, so that logs and tests read them.

use std::io::IsTerminal;
use std::sync::OnceLock;

/// How often a plain line is printed.
pub const PLAIN_EVERY: usize = 50;

/// The progress of one job, shown on stderr.
pub struct Progress {
    label: &'static str,
    bar: Option<OnceLock<indicatif::ProgressBar>>,
}

impl Progress {
    /// A job counting `label`s (e.g. `cartes`): a bar on a terminal.
    pub fn new(label: &'static str) -> Progress {
        Progress {
            label,
            bar: std::io::stderr().is_terminal().then(OnceLock::new),
        }
    }

    /// `done` of `total` items are done.
    pub fn update(&self, done: usize, total: usize) {
        match &self.bar {
            Some(cell) => {
                let bar = cell.get_or_init(|| {
                    let bar = indicatif::ProgressBar::new(total as u64);
                    let style = indicatif::ProgressStyle::with_template(
                        "{bar:40} {pos}/{len} {msg} ({eta})",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
                    bar.set_style(style);
                    bar.set_message(self.label);
                    bar
                });
                bar.set_position(done as u64);
                if done >= total {
                    bar.finish();
                }
            }
            None => {
                if let Some(line) = plain_line(done, total, self.label) {
                    eprintln!("{line}");
                }
            }
        }
    }
}

/// The plain line for `done` of `total`, when one is due.
pub fn plain_line(done: usize, total: usize, label: &str) -> Option<String> {
    (done == total || (done > 0 && done.is_multiple_of(PLAIN_EVERY)))
        .then(|| format!("… {done}/{total} {label}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_lines_come_every_fifty_and_at_the_end() {
        let lines: Vec<String> = (1..=120)
            .filter_map(|d| plain_line(d, 120, "cartes"))
            .collect();
        assert_eq!(
            lines,
            ["… 50/120 cartes", "… 100/120 cartes", "… 120/120 cartes"]
        );
    }
}
