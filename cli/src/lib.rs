//! The parts of the `ideogram` command that are worth measuring or reusing
//! on their own. The command itself is the `ideogram` binary.

pub mod journal;
