"""Shared contracts and the small infrastructure every Hälsoval service uses.

Services import from here and never from each other: everything that crosses a
service boundary (a pydantic model of an HTTP contract, an identity number, an
amount of money, a period) is defined once in this package.
"""
