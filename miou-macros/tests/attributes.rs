//! `#[miou::test]` and `#[miou::main]` against the real runtime: the options reach the
//! builder, the function keeps its return type and its other attributes.

/// The options are builder calls: `domains`.
#[miou::test(domains = 2)]
async fn domains_sets_the_worker_domains() {
    assert_eq!(miou::domain::available(), 2);
    let there = miou::call(|| async { miou::domain::current() });
    assert_ne!(there.await.unwrap().index(), 0);
}

const NONE: usize = 0;

/// An option's value is any expression of the method's type, here a constant.
#[miou::test(domains = NONE, quanta = 2, seed = 7)]
async fn options_take_expressions() {
    assert_eq!(miou::domain::available(), 0);
    assert!(miou::try_call(|| async {}).is_err());
}

/// `virtual_clock`, a flag: an hour of sleep takes no time, and the clock says
/// exactly an hour has passed.
#[miou::test(domains = 1, virtual_clock)]
async fn virtual_clock_runs_time_on_virtual_time() {
    let (start, real) = (miou::time::Instant::now(), std::time::Instant::now());
    miou::time::sleep(std::time::Duration::from_secs(3600)).await;
    assert_eq!(start.elapsed(), std::time::Duration::from_secs(3600));
    assert!(real.elapsed() < std::time::Duration::from_secs(60));
}

/// A test may return a `Result` and use `?` in its body.
#[miou::test(domains = 0)]
async fn a_test_returns_a_result() -> Result<(), miou::Error> {
    let p = miou::spawn(async { 1 });
    assert_eq!(p.await?, 1);
    Ok(())
}

/// Its other attributes stay: a panic of the root task fails the test with its payload.
#[miou::test(domains = 0)]
#[should_panic(expected = "the root panics")]
async fn should_panic_sees_the_root_panic() {
    miou::yield_now().await;
    panic!("the root panics");
}

/// A broken rule fails the test too (the run panics with the failure).
#[miou::test(domains = 0)]
#[should_panic(expected = "neither awaited nor cancelled")]
async fn a_broken_rule_fails_the_test() {
    let _lost = miou::spawn(async {});
}

mod main {
    /// `#[miou::main]` on a function of another name: a plain `fn` that runs the body.
    #[miou::main(domains = 0)]
    async fn entry() -> usize {
        let p = miou::spawn(async { 40 });
        p.await.unwrap() + 2
    }

    #[test]
    fn main_returns_the_body_value() {
        assert_eq!(entry(), 42);
    }
}
