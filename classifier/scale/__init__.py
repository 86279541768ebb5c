"""Scale-out engines for `presslens batch`: Ray Data (`--engine ray`). Ray is imported only when used.

    from classifier.scale.engine import RayOptions, run_ray_batch   # needs: pip install "presslens[ray]"
"""
