from chassis.messaging.topology import ServiceTopology, Subscription


def test_names_follow_one_convention() -> None:
    topology = ServiceTopology("search", (Subscription("filing", ("filing.case.created.v1",)),))
    assert topology.exchange == "search.events"
    assert topology.queues == ["search.filing"]
    assert topology.dead_letter_exchange == "search.dlx"
    assert topology.dead_letter_queue("search.filing") == "search.filing.dlq"
    assert topology.retry_queue("search.filing", 1000) == "search.filing.retry.1000ms"


def test_each_failure_waits_longer_and_the_last_delay_repeats() -> None:
    topology = ServiceTopology("x", retry_delays_ms=(100, 1000))
    assert [topology.retry_delay_ms(n) for n in (1, 2, 3, 9)] == [100, 1000, 1000, 1000]
    assert topology.max_attempts == 3
