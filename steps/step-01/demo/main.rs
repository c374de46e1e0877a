//! Runs the example task of step 1 under its handler and prints the trace.
//! With `--trace NAME`, prints instead the trace of one of the chapter's
//! pictures (`--trace list` names them), for `cargo run -p timeline`.

mod runs;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => {
            for line in runs::demo() {
                println!("{line}");
            }
        }
        [flag, name] if flag == "--trace" => {
            let pictures = runs::pictures();
            match pictures.iter().find(|p| p.name == name) {
                Some(picture) => print!("{}", picture.trace),
                None => {
                    eprintln!("the pictures of this step are:");
                    for picture in &pictures {
                        eprintln!("  {}", picture.name);
                    }
                    std::process::exit(if name == "list" { 0 } else { 2 });
                }
            }
        }
        _ => {
            eprintln!("usage: step-01 [--trace NAME|list]");
            std::process::exit(2);
        }
    }
}
