"""Azure access: clouds and settings, credentials, clients, publish and saved plans.

The ONLY package that imports ``azure.*``, and always inside functions, so that ``import generator``
and ``clausegate --help`` stay free of the Azure SDK.
"""
