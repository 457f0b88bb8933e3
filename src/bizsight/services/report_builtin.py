"""The built-in report templates, registered by importing their modules here."""
