"""Volunteer shifts: series, the week board, sign-ups, attendance and the calendar feed."""
