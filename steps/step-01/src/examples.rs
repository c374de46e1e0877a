//! The example task of step 1.

use crate::{ask, print};

// ANCHOR: inventory
/// The example task: it counts the fruit in stock, asking its handler for
/// each number.
pub async fn inventory() -> u32 {
    print("taking stock").await;
    let apples = ask("apples").await;
    let pears = ask("pears").await;
    let total = apples + pears;
    print(format!("{apples} apples and {pears} pears: {total} fruits")).await;
    total
}
// ANCHOR_END: inventory
