//! Runs the example task of step 1 under its handler and prints the trace.

fn main() {
    for line in step_01::demo() {
        println!("{line}");
    }
}
