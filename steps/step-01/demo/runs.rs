//! What `cargo run -p step-01` prints: the example task run under a handler.

use step_01::Handler;
use step_01::examples::inventory;

// ANCHOR: demo
/// Runs [`inventory`] under a handler that knows 5 apples and 3 pears, and
/// returns the lines to print: the trace, what the task printed, its result.
pub fn demo() -> Vec<String> {
    let mut handler = Handler::new(&[("apples", 5), ("pears", 3)]);
    let total = handler.run(inventory());
    let mut lines = handler.trace;
    lines.push("output of the task:".to_string());
    lines.extend(handler.output.iter().map(|line| format!("  {line}")));
    lines.push(format!("result: {total}"));
    lines
}
// ANCHOR_END: demo
