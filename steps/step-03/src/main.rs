//! Runs the examples of step 3: two tasks under two quanta, then the availability test.

fn main() {
    for line in step_03::demo() {
        println!("{line}");
    }
}
