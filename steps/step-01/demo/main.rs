//! Runs the example task of step 1 under its handler and prints the trace.

mod runs;

fn main() {
    for line in runs::demo() {
        println!("{line}");
    }
}
