//! Transaction set structures: for each set, the segments and loops between ST and SE with their
//! usage and maximum repeats, shared by 004010 and 005010 (segments 005010 added are marked).
//! Bounded loops (LS … LE) are loops named `LS` so that what they enclose is only reachable
//! through LS.
//!
//! The loop structures follow the 004010 maps of olmelabs/EdiEngine (MIT), cross-checked against
//! xlate/staedi's 810 and 850 schemas (Apache-2.0), azoner/pyx12's 997 and 999 maps
//! (BSD-3-Clause) and EDIandXML/OBOE's 850 and 855 (Apache-2.0) as stored in the shared corpus.

mod ack;
mod invoice;
mod order;
mod ship;
mod warehouse;

pub use ack::{FA997, FA999};
pub use invoice::{IB846, IN810};
pub use order::{PO850, PR855};
pub use ship::SH856;
pub use warehouse::{OW940, SW945};
