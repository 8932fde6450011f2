from django.conf import settings


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or as many hops back in X-Forwarded-For as
    there are trusted proxies (TRUSTLABEL_NUM_PROXIES). The header is never trusted
    beyond that, so a client cannot choose its own address to dodge rate limits."""
    proxies = settings.TRUSTLABEL_NUM_PROXIES
    if proxies > 0:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR", "")
