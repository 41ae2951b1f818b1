//! Embeddable web forms (inquiry, document request) as a lead source: what a form is,
//! the HTML to paste into a site, the public routes that show and accept it, and the
//! submission service that sends it through the same matching as the API and imports.

pub mod definition;
pub mod public;
pub mod snippet;
pub mod submit;
mod throttle;
