//! Runs the examples of step 2 and prints, turn by turn, what the scheduler did.

fn main() {
    for line in step_02::demo() {
        println!("{line}");
    }
}
