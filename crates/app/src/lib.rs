//! The `ondo` binary's library: configuration, start-up, the demo workspace loader and
//! the CLI commands, so tests can start the real application on port 0.

pub mod cli;
pub mod config;
pub mod demo;
pub mod demo_load;
pub mod model_cmd;
pub mod startup;

pub use config::Config;
pub use startup::Application;
