"""The kaito command language: tokens, AST, parser, typed values, suggestions."""
