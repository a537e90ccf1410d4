"""Signing in and out, passwords, and the sessions behind them."""
