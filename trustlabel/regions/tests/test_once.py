import threading

from trustlabel.regions.once import once_per_key


def test_it_makes_a_thing_once_however_many_threads_ask_first():
    made = []
    start = threading.Barrier(8)

    @once_per_key
    def slow(key):
        made.append(key)
        return object()

    results = []

    def ask():
        start.wait()
        results.append(slow("provinces"))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert made == ["provinces"]
    assert len(results) == 8 and all(result is results[0] for result in results)
    assert slow("counties") is not results[0]
    assert made == ["provinces", "counties"]
