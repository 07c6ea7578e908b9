"""The problem library, knowledge articles and the one search over everything (问题库)."""
