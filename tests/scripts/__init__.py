"""The five scripts run as processes, the way a teacher runs them: one place for every such test."""
