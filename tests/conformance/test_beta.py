"""The one beta call Sortie makes: a managed instance group's `updatePolicy.minReadySec`, which
GCE has in its beta API only. google-api-python-client's own beta and v1 discovery documents
drive the plane: beta sets and shows the field, v1 refuses it as an unknown field and does not
show it, and a value outside [0, 3600] is refused as GCE refuses it. No VMs (a group of 0)."""

from __future__ import annotations

import pytest
from googleapiclient.errors import HttpError

from support import PROJECT, ZONE, unique

pytestmark = pytest.mark.plane


@pytest.fixture(scope="module")
def group(plane):
    v1 = plane.discovery("compute", "v1")
    template = unique("beta-tpl")
    v1.instanceTemplates().insert(project=PROJECT, body={
        "name": template, "properties": {"machineType": "e2-micro", "disks": [
            {"boot": True, "initializeParams": {"sourceImage": "global/images/not-needed-for-an-empty-group"}}]}}).execute()
    name = unique("beta-mig")
    v1.instanceGroupManagers().insert(project=PROJECT, zone=ZONE, body={
        "name": name, "baseInstanceName": "b", "targetSize": 0,
        "instanceTemplate": f"projects/{PROJECT}/global/instanceTemplates/{template}"}).execute()
    yield name
    v1.instanceGroupManagers().delete(project=PROJECT, zone=ZONE, instanceGroupManager=name).execute()


def test_beta_sets_min_ready_sec_and_v1_neither_takes_nor_shows_it(plane, group):
    beta, v1 = plane.discovery("compute", "beta"), plane.discovery("compute", "v1")
    op = beta.instanceGroupManagers().patch(project=PROJECT, zone=ZONE, instanceGroupManager=group,
                                              body={"updatePolicy": {"minReadySec": 7}}).execute()
    assert op["status"] == "DONE" and "error" not in op
    shown = beta.instanceGroupManagers().get(project=PROJECT, zone=ZONE, instanceGroupManager=group).execute()
    assert shown["updatePolicy"]["minReadySec"] == 7
    assert shown["updatePolicy"]["maxUnavailable"]["fixed"] == 1, "the rest of the policy is the group's"
    plain = v1.instanceGroupManagers().get(project=PROJECT, zone=ZONE, instanceGroupManager=group).execute()
    assert "minReadySec" not in plain["updatePolicy"]
    listed = v1.instanceGroupManagers().aggregatedList(project=PROJECT).execute()
    ours = [g for scope in listed["items"].values() for g in scope.get("instanceGroupManagers", []) if g["name"] == group]
    assert len(ours) == 1 and "minReadySec" not in ours[0]["updatePolicy"], "v1's aggregated list hides it too"

    session = plane.session()
    r = session.patch(f"{plane.base}/compute/v1/projects/{PROJECT}/zones/{ZONE}/instanceGroupManagers/{group}",
                      json={"updatePolicy": {"minReadySec": 3}})
    assert r.status_code == 400, r.text
    assert 'Unknown name "minReadySec"' in r.json()["error"]["message"]


@pytest.mark.parametrize("value", [-1, 3601, 2.5])
def test_min_ready_sec_outside_its_range_is_refused(plane, group, value):
    beta = plane.discovery("compute", "beta")
    with pytest.raises(HttpError) as error:
        beta.instanceGroupManagers().patch(project=PROJECT, zone=ZONE, instanceGroupManager=group,
                                           body={"updatePolicy": {"minReadySec": value}}).execute()
    assert error.value.resp.status == 400
    assert "minReadySec" in str(error.value)


def test_the_beta_api_is_served_only_for_that(plane):
    r = plane.session().get(f"{plane.base}/compute/beta/projects/{PROJECT}/global/instanceTemplates")
    assert r.status_code == 404
    assert "beta API only for instanceGroupManagers" in r.json()["error"]["message"]
