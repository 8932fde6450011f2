import threading
from functools import wraps


def once_per_key(make):
    """`make(key)`, memoised for the life of the process: for data read from files that
    change only with a deployment. Threads that ask first at the same time wait for one
    of them to make it, so a large file is read once."""
    made, lock = {}, threading.Lock()

    @wraps(make)
    def get(key):
        if (found := made.get(key)) is not None:
            return found
        with lock:
            if key not in made:
                made[key] = make(key)
            return made[key]

    return get
