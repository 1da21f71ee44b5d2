//! Persistence off the request path: [`batcher`], the one generic batching
//! task that message writes, token look-ups and last-seen updates share.
//! The SQL each batch runs is in [`crate::store`].

pub mod batcher;
