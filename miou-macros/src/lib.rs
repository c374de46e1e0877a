//! The attributes `#[miou::main]` and `#[miou::test]` of the
//! [miou](https://docs.rs/miou) runtime: an `async fn` becomes a plain `fn` that runs
//! its body as the root task of a miou run. Use them through `miou`, which re-exports
//! them (its default feature `macros`); this crate is an implementation detail.
//!
//! ```
//! #[miou::main]
//! async fn main() {
//!     let p = miou::spawn(async { 6 * 7 });
//!     assert_eq!(p.await.unwrap(), 42);
//! }
//! ```
//!
//! # Options
//!
//! Both attributes take the same options, comma-separated, each one setting what the
//! [`Builder`](https://docs.rs/miou/latest/miou/struct.Builder.html) method of its name
//! sets; an option left out keeps the builder's default (which reads `MIOU_DOMAINS` and
//! `MIOU_QUANTA`):
//!
//! | option | builder call |
//! |---|---|
//! | `domains = EXPR` | `Builder::domains(EXPR)`: the worker domains besides domain 0 |
//! | `quanta = EXPR` | `Builder::quanta(EXPR)`: scheduling points per turn (at least 1) |
//! | `seed = EXPR` | `Builder::seed(EXPR)`: the seed of every random choice |
//! | `virtual_clock` | `Builder::virtual_clock()`: `miou::time` on virtual time, for tests |
//!
//! `EXPR` is any expression of the method's argument type (a literal, a constant).
//! `virtual_clock` is a *flag*, a bare name that turns a builder setting on
//! (`#[miou::test(domains = 1, virtual_clock)]`). An option the attribute does not
//! know is a compile error that lists the known ones.
//!
//! # Errors
//!
//! Misuse is a compile error at the offending tokens: a function that is not `async`,
//! one that takes arguments or has generic parameters, an unknown or repeated option,
//! `quanta = 0`, or `#[miou::test]` on a function that already has `#[test]`.
//!
//! ```compile_fail
//! #[miou::main]
//! fn main() {} // error: `#[miou::main]` goes on an `async fn`
//! ```
//!
//! ```compile_fail
//! #[miou::main]
//! async fn main(args: Vec<String>) {} // error: the main function takes no arguments
//! ```
//!
//! ```compile_fail
//! #[miou::main(workers = 2)] // error: unknown option `workers`
//! async fn main() {}
//! ```

#![warn(missing_docs)]

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Ident, ItemFn, Lit, Meta, Token};

/// Runs an `async fn main` as the root task of a miou run: `main` becomes a plain `fn`
/// that calls [`Builder::run`](https://docs.rs/miou/latest/miou/struct.Builder.html#method.run)
/// on its body, with the options of the [crate documentation](crate#options). It keeps
/// its return type, so `main` may return a `Result` and use `?`.
///
/// ```
/// use std::error::Error;
///
/// #[miou::main(domains = 1, quanta = 2, seed = 7)]
/// async fn main() -> Result<(), Box<dyn Error>> {
///     let here = miou::domain::current();
///     let there = miou::call(|| async { miou::domain::current() }).await?;
///     assert_eq!((here.index(), there.index()), (0, 1));
///     let n: u32 = "42".parse()?;
///     assert_eq!(n, 42);
///     Ok(())
/// }
/// ```
#[proc_macro_attribute]
pub fn main(
    args: proc_macro::TokenStream,
    item: proc_macro::TokenStream,
) -> proc_macro::TokenStream {
    expand(Kind::Main, args.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Runs an `async fn` test as the root task of a miou run: the function becomes a
/// `#[test]` that calls [`Builder::run`](https://docs.rs/miou/latest/miou/struct.Builder.html#method.run)
/// on its body, with the options of the [crate documentation](crate#options). Its other
/// attributes stay (`#[should_panic]`, `#[ignore]`): a panic of the root task, or a run
/// that fails, fails the test.
///
/// ```
/// #[miou::test(domains = 0)]
/// async fn spawned_children_run_on_this_domain() {
///     let p = miou::spawn(async { miou::domain::current() });
///     assert_eq!(p.await.unwrap().index(), 0);
/// }
/// # fn main() {} // a doctest is not built with `--test`: the test compiles, unrun
/// ```
#[proc_macro_attribute]
pub fn test(
    args: proc_macro::TokenStream,
    item: proc_macro::TokenStream,
) -> proc_macro::TokenStream {
    expand(Kind::Test, args.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Which attribute is expanded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Main,
    Test,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Main => "#[miou::main]",
            Kind::Test => "#[miou::test]",
        }
    }
}

/// The options, each a builder method of the same name called with the expression.
#[derive(Default)]
struct Options {
    domains: Option<Expr>,
    quanta: Option<Expr>,
    seed: Option<Expr>,
    virtual_clock: bool,
}

/// The names the error for an unknown option lists.
const KNOWN: &str = "`domains = N`, `quanta = N`, `seed = N`, `virtual_clock`";

impl Options {
    fn parse(kind: Kind, args: TokenStream) -> syn::Result<Options> {
        let metas = Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args)?;
        let mut options = Options::default();
        for meta in metas {
            match meta {
                Meta::NameValue(nv) => {
                    let slot = match nv.path.get_ident().map(Ident::to_string).as_deref() {
                        Some("domains") => &mut options.domains,
                        Some("quanta") => {
                            if is_zero(&nv.value) {
                                return Err(syn::Error::new(
                                    nv.value.span(),
                                    "the quanta must be at least 1 (a task passes at least one \
                                     scheduling point per turn)",
                                ));
                            }
                            &mut options.quanta
                        }
                        Some("seed") => &mut options.seed,
                        _ => return Err(unknown(kind, &nv.path)),
                    };
                    if slot.is_some() {
                        return Err(syn::Error::new(
                            nv.path.span(),
                            format!(
                                "`{}` is given twice",
                                nv.path.to_token_stream().to_string().replace(' ', "")
                            ),
                        ));
                    }
                    *slot = Some(nv.value);
                }
                // A flag: a bare name turning a builder setting on.
                Meta::Path(path) => match path.get_ident().map(Ident::to_string).as_deref() {
                    Some("virtual_clock") if options.virtual_clock => {
                        return Err(syn::Error::new(
                            path.span(),
                            "`virtual_clock` is given twice",
                        ));
                    }
                    Some("virtual_clock") => options.virtual_clock = true,
                    _ => return Err(unknown(kind, &path)),
                },
                Meta::List(list) => return Err(unknown(kind, &list.path)),
            }
        }
        Ok(options)
    }

    /// `::miou::Builder::new()` with a call per option given.
    fn builder(&self) -> TokenStream {
        let mut b = quote!(::miou::Builder::new());
        if let Some(n) = &self.domains {
            b.extend(quote!(.domains(#n)));
        }
        if let Some(n) = &self.quanta {
            b.extend(quote!(.quanta(#n)));
        }
        if let Some(n) = &self.seed {
            b.extend(quote!(.seed(#n)));
        }
        if self.virtual_clock {
            b.extend(quote!(.virtual_clock()));
        }
        b
    }
}

/// The error for an option written wrong: a valued option without its value (or with
/// parentheses), or a name the attribute does not know.
fn unknown(kind: Kind, path: &syn::Path) -> syn::Error {
    let name = path.to_token_stream().to_string().replace(' ', "");
    if matches!(name.as_str(), "domains" | "quanta" | "seed") {
        return syn::Error::new(
            path.span(),
            format!("`{name}` takes a value: write `{name} = N`"),
        );
    }
    syn::Error::new(
        path.span(),
        format!(
            "unknown option `{name}` of {}; expected one of {KNOWN}",
            kind.name()
        ),
    )
}

fn is_zero(e: &Expr) -> bool {
    matches!(e, Expr::Lit(ExprLit { lit: Lit::Int(i), .. }) if i.base10_parse::<u64>().ok() == Some(0))
}

/// The expansion: checks the function, then turns it into a plain `fn` (with `#[test]`
/// for a test) whose body runs the `async` body as a miou root task.
fn expand(kind: Kind, args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let options = Options::parse(kind, args)?;
    let mut f: ItemFn = syn::parse2(item)?;
    let sig = &f.sig;
    if sig.asyncness.is_none() {
        return Err(syn::Error::new(
            sig.fn_token.span(),
            format!(
                "{} goes on an `async fn`: add `async` before `fn`",
                kind.name()
            ),
        ));
    }
    if !sig.inputs.is_empty() {
        let what = match kind {
            Kind::Main => "the main function takes no arguments",
            Kind::Test => "a test function takes no arguments",
        };
        return Err(syn::Error::new(sig.inputs.span(), what));
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        return Err(syn::Error::new(
            sig.generics.span(),
            format!("{} does not take generic parameters", kind.name()),
        ));
    }
    if kind == Kind::Test
        && let Some(attr) = f.attrs.iter().find(|a| a.path().is_ident("test"))
    {
        return Err(syn::Error::new(
            attr.span(),
            "this function already has `#[test]`: `#[miou::test]` adds it",
        ));
    }

    f.sig.asyncness = None;
    let body = &f.block;
    // The local's name cannot clash with the user's (mixed-site hygiene), and the body
    // is the initialiser: it does not see the local.
    let root = Ident::new("root", Span::mixed_site());
    let builder = options.builder();
    let block = quote!({
        let #root = async #body;
        #builder.run(#root)
    });
    *f.block = syn::parse2(block)?;
    let test = match kind {
        Kind::Main => quote!(),
        Kind::Test => quote!(#[::core::prelude::v1::test]),
    };
    Ok(quote!(#test #f))
}

#[cfg(test)]
mod tests {
    //! The expansion and its error messages, on token streams (no compiler run).

    use super::{Kind, expand};

    fn expanded(kind: Kind, args: &str, item: &str) -> Result<String, String> {
        expand(kind, args.parse().unwrap(), item.parse().unwrap())
            .map(|t| t.to_string())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn main_becomes_a_run_of_its_body() {
        let out = expanded(Kind::Main, "", "async fn main() { work().await }").unwrap();
        assert!(out.starts_with("fn main ()"), "{out}");
        assert!(out.contains("async { work () . await }"), "{out}");
        assert!(
            out.contains(":: miou :: Builder :: new () . run (root)"),
            "{out}"
        );
        assert!(!out.contains("test"), "{out}");
    }

    #[test]
    fn options_become_builder_calls_in_order() {
        let out = expanded(
            Kind::Test,
            "seed = 7, domains = 2, quanta = QUANTA",
            "async fn t() -> Result<(), E> { Ok(()) }",
        )
        .unwrap();
        assert!(
            out.starts_with("# [:: core :: prelude :: v1 :: test] fn t () -> Result < () , E >"),
            "{out}"
        );
        assert!(
            out.contains(":: miou :: Builder :: new () . domains (2) . quanta (QUANTA) . seed (7) . run (root)"),
            "{out}"
        );
    }

    #[test]
    fn other_attributes_stay() {
        let out = expanded(Kind::Test, "", "#[should_panic] async fn t() { panic!() }").unwrap();
        assert!(out.contains("# [should_panic] fn t ()"), "{out}");
    }

    #[test]
    fn misuse_is_a_clear_error() {
        let cases = [
            (
                Kind::Main,
                "",
                "fn main() {}",
                "#[miou::main] goes on an `async fn`: add `async` before `fn`",
            ),
            (
                Kind::Test,
                "",
                "fn t() {}",
                "#[miou::test] goes on an `async fn`: add `async` before `fn`",
            ),
            (
                Kind::Main,
                "",
                "async fn main(args: Vec<String>) {}",
                "the main function takes no arguments",
            ),
            (
                Kind::Test,
                "",
                "async fn t(x: u32) {}",
                "a test function takes no arguments",
            ),
            (
                Kind::Test,
                "",
                "async fn t<T>() {}",
                "#[miou::test] does not take generic parameters",
            ),
            (
                Kind::Test,
                "",
                "#[test] async fn t() {}",
                "this function already has `#[test]`: `#[miou::test]` adds it",
            ),
            (
                Kind::Main,
                "workers = 2",
                "async fn main() {}",
                "unknown option `workers` of #[miou::main]; expected one of `domains = N`, `quanta = N`, `seed = N`, `virtual_clock`",
            ),
            (
                Kind::Test,
                "virtual_clock, virtual_clock",
                "async fn t() {}",
                "`virtual_clock` is given twice",
            ),
            (
                Kind::Test,
                "domains(2)",
                "async fn t() {}",
                "`domains` takes a value: write `domains = N`",
            ),
            (
                Kind::Test,
                "seed",
                "async fn t() {}",
                "`seed` takes a value: write `seed = N`",
            ),
            (
                Kind::Main,
                "seed = 1, seed = 2",
                "async fn main() {}",
                "`seed` is given twice",
            ),
            (
                Kind::Main,
                "quanta = 0",
                "async fn main() {}",
                "the quanta must be at least 1 (a task passes at least one scheduling point per turn)",
            ),
        ];
        for (kind, args, item, message) in cases {
            assert_eq!(
                expanded(kind, args, item).unwrap_err(),
                message,
                "{args} {item}"
            );
        }
    }
}
