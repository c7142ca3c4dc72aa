//! Integration tests of `molt-store`, one binary (see the modules).

mod basics;
mod checkpoint;
mod crash;
mod faults;
mod forks;
mod golden;
mod pending;
mod proofs;
mod pruning;
mod roots;
mod snapshots;
mod util;
