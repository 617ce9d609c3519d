"""Invented practices for trying the product and measuring it: the demo practice
(`manage.py seed_demo`) and large practices at scale (`manage.py seed_scale`).

Apart from the product's own code: only those commands, the tests and the benchmarks load it.
"""
