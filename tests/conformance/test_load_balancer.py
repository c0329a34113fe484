"""The external HTTP load balancer chain through google-cloud-compute: URL map references and
rules checked on insert and patch; and, with real guests (the Swift unikernel, TCG, one per group), a URL map
whose host rule and path rule send requests to a second backend service in front of a second group,
checked with HTTP requests through the forwarding rule's listener, and a backend service health
check that fails on an instance the group's autohealing check finds healthy: the instance gets no
traffic and is UNHEALTHY in getHealth, but stays in its group.
"""

from __future__ import annotations

import pytest
import requests

import fleet
from support import PROJECT, ZONE, free_port, unique, wait_for

pytestmark = [pytest.mark.plane]

C = f"/compute/v1/projects/{PROJECT}"


def insert_service(compute, name, check, group_url=None):
    from google.cloud import compute_v1
    backends = [compute_v1.Backend(group=group_url)] if group_url else []
    compute.wait_ok(compute.backend_services.insert(project=PROJECT, backend_service_resource=compute_v1.BackendService(
        name=name, protocol="HTTP", port_name="http", timeout_sec=10, load_balancing_scheme="EXTERNAL_MANAGED",
        health_checks=[f"global/healthChecks/{check}"], backends=backends)))


def insert_check(compute, name, path, interval=2):
    from google.cloud import compute_v1
    compute.wait_ok(compute.health_checks.insert(project=PROJECT, health_check_resource=compute_v1.HealthCheck(
        name=name, type_="HTTP", check_interval_sec=interval, timeout_sec=interval, healthy_threshold=1, unhealthy_threshold=1,
        http_health_check=compute_v1.HTTPHealthCheck(port=80, request_path=path))))


def reason(response):
    return (response.status_code, response.json()["error"]["errors"][0]["reason"])


def test_url_map_references_and_rules_are_checked(plane, compute):
    check = unique("conf-lbv-hc")
    insert_check(compute, check, "/health")
    service = unique("conf-lbv-bs")
    insert_service(compute, service, check)
    s = plane.session()
    um = unique("conf-lbv-um")
    good = {"name": um, "defaultService": f"global/backendServices/{service}",
            "hostRules": [{"hosts": ["*.example.test"], "pathMatcher": "site"}],
            "pathMatchers": [{"name": "site", "defaultService": f"global/backendServices/{service}",
                              "pathRules": [{"paths": ["/v2/*"], "service": f"global/backendServices/{service}"}]}]}

    bad_matcher = dict(good, hostRules=[{"hosts": ["*.example.test"], "pathMatcher": "nope"}])
    assert reason(s.post(plane.base + f"{C}/global/urlMaps", json=bad_matcher)) == (400, "invalid")
    gone = dict(good, pathMatchers=[{"name": "site", "defaultService": f"global/backendServices/{service}",
                                     "pathRules": [{"paths": ["/v2/*"], "service": "global/backendServices/gone"}]}])
    assert reason(s.post(plane.base + f"{C}/global/urlMaps", json=gone)) == (404, "notFound")
    bad_path = dict(good, pathMatchers=[{"name": "site", "defaultService": f"global/backendServices/{service}",
                                         "pathRules": [{"paths": ["/v2*"], "service": f"global/backendServices/{service}"}]}])
    assert reason(s.post(plane.base + f"{C}/global/urlMaps", json=bad_path)) == (400, "invalid")

    v1 = compute.v1
    compute.wait_ok(compute.url_maps.insert(project=PROJECT, url_map_resource=v1.UrlMap(
        name=um, default_service=f"global/backendServices/{service}",
        host_rules=[v1.HostRule(hosts=["*.example.test"], path_matcher="site")],
        path_matchers=[v1.PathMatcher(name="site", default_service=f"global/backendServices/{service}",
                                      path_rules=[v1.PathRule(paths=["/v2/*"], service=f"global/backendServices/{service}")])])))
    stored = compute.url_maps.get(project=PROJECT, url_map=um)
    assert stored.path_matchers[0].path_rules[0].service.endswith(f"/projects/{PROJECT}/global/backendServices/{service}")
    assert stored.path_matchers[0].path_rules[0].service.startswith("http")
    # Patches (with the current fingerprint, which GCE requires) are checked as inserts are; a
    # stale or missing fingerprint is refused.
    r = s.patch(plane.base + f"{C}/global/urlMaps/{um}",
                json={"fingerprint": stored.fingerprint, "hostRules": [{"hosts": ["a.test"], "pathMatcher": "nope"}]})
    assert reason(r) == (400, "invalid")
    r = s.patch(plane.base + f"{C}/global/urlMaps/{um}", json={"fingerprint": stored.fingerprint, "defaultService": "global/backendServices/gone"})
    assert reason(r) == (404, "notFound")
    r = s.patch(plane.base + f"{C}/global/urlMaps/{um}", json={"fingerprint": "c3RhbGU=", "hostRules": []})
    assert reason(r) == (412, "conditionNotMet")
    r = s.patch(plane.base + f"{C}/global/urlMaps/{um}", json={"hostRules": []})
    assert reason(r) == (412, "conditionNotMet")
    compute.wait_ok(compute.url_maps.patch(project=PROJECT, url_map=um, url_map_resource=v1.UrlMap(
        fingerprint=stored.fingerprint, host_rules=[v1.HostRule(hosts=["a.test"], path_matcher="site")])))
    assert [list(h.hosts) for h in compute.url_maps.get(project=PROJECT, url_map=um).host_rules] == [["a.test"]]

    compute.wait_ok(compute.url_maps.delete(project=PROJECT, url_map=um))
    compute.wait_ok(compute.backend_services.delete(project=PROJECT, backend_service=service))
    compute.wait_ok(compute.health_checks.delete(project=PROJECT, health_check=check))


@pytest.mark.vm
def test_url_map_routes_by_host_and_path_and_backend_service_health(plane, compute, work_root):
    from google.cloud import compute_v1

    templates = fleet.make_templates(plane, compute, work_root, [("1", ""), ("2", "")])
    check = unique("conf-lb-hc")
    insert_check(compute, check, "/health")
    groups, services = {}, {}
    for version in ("1", "2"):
        group = unique(f"conf-lb-mig{version}")
        compute.wait_ok(compute.groups.insert(project=PROJECT, zone=ZONE, instance_group_manager_resource=compute_v1.InstanceGroupManager(
            name=group, base_instance_name=f"lb{version}", target_size=1, instance_template=templates[version],
            named_ports=[compute_v1.NamedPort(name="http", port=80)],
            auto_healing_policies=[compute_v1.InstanceGroupManagerAutoHealingPolicy(
                health_check=f"global/healthChecks/{check}", initial_delay_sec=300)])))
        groups[version] = compute.groups.get(project=PROJECT, zone=ZONE, instance_group_manager=group)
        services[version] = unique(f"conf-lb-bs{version}")
        insert_service(compute, services[version], check, groups[version].instance_group)

    def bs(version):
        return f"global/backendServices/{services[version]}"

    um = unique("conf-lb-um")
    compute.wait_ok(compute.url_maps.insert(project=PROJECT, url_map_resource=compute_v1.UrlMap(
        name=um, default_service=bs("1"),
        host_rules=[compute_v1.HostRule(hosts=["v2.example.test"], path_matcher="v2-host"),
                    compute_v1.HostRule(hosts=["*.example.test"], path_matcher="site")],
        path_matchers=[compute_v1.PathMatcher(name="v2-host", default_service=bs("2")),
                       compute_v1.PathMatcher(name="site", default_service=bs("1"),
                                              path_rules=[compute_v1.PathRule(paths=["/v2/*"], service=bs("2"))])])))
    proxy = unique("conf-lb-proxy")
    compute.wait_ok(compute.http_proxies.insert(project=PROJECT, target_http_proxy_resource=compute_v1.TargetHttpProxy(
        name=proxy, url_map=f"global/urlMaps/{um}")))
    port = free_port()
    rule = unique("conf-lb-fr")
    compute.wait_ok(compute.forwarding_rules.insert(project=PROJECT, forwarding_rule_resource=compute_v1.ForwardingRule(
        name=rule, I_p_protocol="TCP", I_p_address="127.0.0.1", port_range=str(port), load_balancing_scheme="EXTERNAL_MANAGED",
        target=f"global/targetHttpProxies/{proxy}")))

    def get(path, host):
        return requests.get(f"http://127.0.0.1:{port}{path}", headers={"Host": host}, timeout=30)

    def version(path, host):
        """The version a GET of a path ending in /version answers (the unikernel ends it with a newline)."""
        return get(path, host).text.strip()

    def health(version):
        reply = compute.backend_services.get_health(
            project=PROJECT, backend_service=services[version],
            resource_group_reference_resource=compute_v1.ResourceGroupReference(group=groups[version].instance_group))
        return [h.health_state for h in reply.health_status]

    # Both groups boot (TCG) and pass their backend services' checks.
    wait_for(lambda: version("/version", "v2.example.test") == "2"
             and version("/version", "www.example.test") == "1", 300, 2, "both services serving")
    assert health("1") == ["HEALTHY"] and health("2") == ["HEALTHY"]

    # Host rules pick a path matcher (exact host before wildcard; no match: the URL map's default);
    # path rules apply within their host rule's matcher; the query does not count.
    assert version("/version", "localhost") == "1"
    assert version("/version", "www.example.test") == "1"
    assert version("/v2/version", "www.example.test") == "2"
    assert version("/v2/version?x=1", "WWW.Example.Test:8080") == "2"
    assert version("/v2/version", "localhost") == "1"
    assert version("/v2/version", "v2.example.test") == "2"

    # The second service now checks a path the guest answers 404 on; the group's autohealing
    # check still passes. The instance leaves the load balancer but not its group.
    def group_health():
        members = compute.groups.list_managed_instances(project=PROJECT, zone=ZONE, instance_group_manager=groups["2"].name)
        return [h.detailed_health_state for m in members for h in m.instance_health]

    # The group's autohealing check probes apart from the backend service's (as on GCE): a probe
    # that failed while the guest booted can leave it UNHEALTHY a little longer.
    wait_for(lambda: group_health() == ["HEALTHY"], 60, 0.5, "the group's own check HEALTHY")
    member = compute.groups.list_managed_instances(project=PROJECT, zone=ZONE, instance_group_manager=groups["2"].name)
    instance = [m.instance for m in member]
    failing = unique("conf-lb-hc404")
    insert_check(compute, failing, "/missing", interval=1)
    current = compute.backend_services.get(project=PROJECT, backend_service=services["2"])
    compute.wait_ok(compute.backend_services.patch(project=PROJECT, backend_service=services["2"],
                                                   backend_service_resource=compute_v1.BackendService(
                                                       fingerprint=current.fingerprint, health_checks=[f"global/healthChecks/{failing}"])))
    wait_for(lambda: health("2") == ["UNHEALTHY"], 60, 1, "UNHEALTHY in getHealth")
    wait_for(lambda: get("/", "v2.example.test").status_code == 503, 30, 0.5, "no traffic to the failing instance")
    assert get("/v2/version", "www.example.test").status_code == 503
    assert version("/version", "www.example.test") == "1"
    members = list(compute.groups.list_managed_instances(project=PROJECT, zone=ZONE, instance_group_manager=groups["2"].name))
    assert [m.instance for m in members] == instance
    assert members[0].instance_status == "RUNNING"
    assert members[0].instance_health[0].detailed_health_state == "HEALTHY"

    # Back to the passing check: traffic returns.
    current = compute.backend_services.get(project=PROJECT, backend_service=services["2"])
    compute.wait_ok(compute.backend_services.patch(project=PROJECT, backend_service=services["2"],
                                                   backend_service_resource=compute_v1.BackendService(
                                                       fingerprint=current.fingerprint, health_checks=[f"global/healthChecks/{check}"])))
    wait_for(lambda: version("/version", "v2.example.test") == "2", 60, 1, "traffic back")

    compute.wait_ok(compute.forwarding_rules.delete(project=PROJECT, forwarding_rule=rule))
    compute.wait_ok(compute.http_proxies.delete(project=PROJECT, target_http_proxy=proxy))
    compute.wait_ok(compute.url_maps.delete(project=PROJECT, url_map=um))
    for version in ("1", "2"):
        compute.wait_ok(compute.backend_services.delete(project=PROJECT, backend_service=services[version]))
        compute.wait_ok(compute.groups.delete(project=PROJECT, zone=ZONE, instance_group_manager=groups[version].name))
