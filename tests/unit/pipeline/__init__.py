"""Tests of the day-level pipeline layer both runtimes call."""
