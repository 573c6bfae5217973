//! The demo's progress bars (on standard error; indicatif draws nothing when it is not a terminal): orders
//! placed, orders finished (delivered or cancelled), and a status line with the simulated time and the
//! deliveries still owed to the systems.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::time::Duration;

/// The bars of one demo run.
pub struct Progress {
    placed: ProgressBar,
    finished: ProgressBar,
    status: ProgressBar,
}

fn bar(multi: &MultiProgress, total: u64, label: &str) -> ProgressBar {
    let style = ProgressStyle::with_template(&format!("{label:>16} [{{bar:40.cyan/blue}}] {{pos:>6}}/{{len:6}}"))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    multi.add(ProgressBar::new(total).with_style(style))
}

impl Progress {
    /// Bars for `orders` orders; `visible: false` draws nothing.
    pub fn new(orders: u64, visible: bool) -> Self {
        let target = if visible { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() };
        let multi = MultiProgress::with_draw_target(target);
        let placed = bar(&multi, orders, "orders placed");
        let finished = bar(&multi, orders, "orders finished");
        let status = multi.add(ProgressBar::new_spinner());
        status.set_style(
            ProgressStyle::with_template("{spinner} {msg}").unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        status.enable_steady_tick(Duration::from_millis(120));
        Self { placed, finished, status }
    }

    /// Shows where the run is.
    pub fn update(&self, placed: u64, finished: u64, status: String) {
        self.placed.set_position(placed);
        self.finished.set_position(finished);
        self.status.set_message(status);
    }

    /// Leaves the bars as they are and stops the spinner.
    pub fn finish(&self, status: String) {
        self.placed.abandon();
        self.finished.abandon();
        self.status.finish_with_message(status);
    }
}
