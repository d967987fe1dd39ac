"""Benchmarks, and the inputs made from truth files that they and the tests run on."""
