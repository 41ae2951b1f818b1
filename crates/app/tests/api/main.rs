//! API and page integration tests: each test starts the real application on port 0 over a
//! fresh database (SQLite, or PostgreSQL when TEST_DATABASE_URL is set).

mod helpers;
mod smtp_refusing;
mod smtp_sink;

mod ai_pages;
mod ai_score;
mod audit;
mod auth;
mod campaigns;
mod campaigns_lifecycle;
mod cli;
mod companies;
mod demo;
mod duplicates;
mod durability;
mod export;
mod forms;
mod import;
mod import_wizard;
mod leads;
mod model_evaluate;
mod notifications;
mod pages;
mod reports;
mod roles_matrix;
mod scoring_settings;
mod segments;
mod speed_to_lead;
mod statuses;
mod tasks;
mod temperature;
mod tracking;
mod visibility;
mod workflow;
