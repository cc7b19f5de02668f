//! Unit tests of the radiation engine on small models.
