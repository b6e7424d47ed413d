//! The catalogue's pages: the public list and item pages, the staff
//! workbench, and the item editor's form.

pub mod form;
pub mod public;
pub mod staff;
