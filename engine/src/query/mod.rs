//! The query language: parser, typed builder and planner (owner: query module).
