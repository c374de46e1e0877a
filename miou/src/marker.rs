//! The marker of the types that stay on the domain that made them (a [`Promise`], a
//! socket of [`net`]), so that moving one into [`call`] or onto another thread is a
//! compile error that names the user's type (`Promise<u32>`, `TcpStream`), not the
//! internal one that happens to make it `!Send` (`Rc<Reactor>`, `*const ()`).
//!
//! A type is `!Send` when one of its fields is; the compiler then reports that field's
//! type. An explicit `Send` impl replaces the automatic one: given an impl whose bound
//! never holds, the type is never `Send`, and the error the compiler reports is that
//! bound's, with the message of [`on_unimplemented`] naming the type the bound names.
//!
//! [`Promise`]: crate::Promise
//! [`net`]: crate::net
//! [`call`]: crate::call
//! [`on_unimplemented`]: https://doc.rust-lang.org/reference/attributes/diagnostics.html#the-diagnosticon_unimplemented-attribute

use std::marker::PhantomData;

mod sealed {
    /// Implemented for nothing, and unnameable outside the crate (a private module), so
    /// nobody can implement it: a bound `(): LeavesItsDomain<T>` never holds.
    #[diagnostic::on_unimplemented(
        message = "`{T}` cannot be sent to another domain or thread: it belongs to the domain that made it",
        label = "this moves a `{T}` to another domain or thread",
        note = "`call` and `parallel` build their future on another domain: create the `{T}` there, or send plain data",
        note = "a socket moves with `into_std` here and `from_std` there (see `miou::net`); a `Promise` is awaited by the task that spawned the child, which can then send the value"
    )]
    pub trait LeavesItsDomain<T: ?Sized> {}
}

pub(crate) use sealed::LeavesItsDomain;

/// Makes the type that holds it neither `Send` nor `Sync`, as a `PhantomData<*const ()>`
/// would, with a compile error that names `T` (the type holding it). Zero-sized.
pub(crate) struct OnItsDomain<T: ?Sized>(PhantomData<fn() -> *const T>);

impl<T: ?Sized> OnItsDomain<T> {
    pub(crate) const fn new() -> Self {
        OnItsDomain(PhantomData)
    }
}

// SAFETY: the bound never holds (`LeavesItsDomain` is implemented for nothing and
// cannot be implemented outside this module's crate, see `sealed`), so these impls
// never apply: `OnItsDomain<T>` is neither `Send` nor `Sync`, exactly as the raw pointer
// it stands for would make it. They exist only to replace the automatic impls, so that
// the compiler reports the bound, with its message naming `T`. The `compile_fail`
// doctests on `Promise`, `call` and `TcpStream` check that the types stay `!Send`.
unsafe impl<T: ?Sized> Send for OnItsDomain<T> where (): LeavesItsDomain<T> {}
// SAFETY: as for `Send` above: the impl never applies.
unsafe impl<T: ?Sized> Sync for OnItsDomain<T> where (): LeavesItsDomain<T> {}
