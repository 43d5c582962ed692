"""Writes the corpus of real-shaped exports in this folder (run once; the files are committed).

    .venv/bin/python tests/data/exports/make_exports.py

Every file follows the documented column list, value spellings, date format and file layout
of its source (see README.md beside this script for the documentation each one follows);
the values are fictional but realistic, drawn from hand-written lists with fixed seeds, so
running the script again writes the same rows. The first rows of each file are hand-written
"anchor" records that tests/analytics/ingest/test_real_exports.py checks value by value.

The tests never run this script: they read the committed files. The large hostile files
(10 MB field, 50 MB line, 10^6 vertices, 100 000 nesting levels, 20 000 columns) are made at
test time in a temporary folder; the small hostile files are written here into hostile/.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
HOSTILE = HERE / "hostile"
T = datetime


def _write_csv(
    path: Path,
    header: list[str],
    rows: list[list],
    *,
    encoding: str = "utf-8",
    quoting: int = csv.QUOTE_MINIMAL,
    newline: str = "\n",
    above: list[list] = (),
) -> None:
    out = io.StringIO()
    writer = csv.writer(out, quoting=quoting, lineterminator=newline)
    for row in above:
        writer.writerow(row)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    path.write_bytes(out.getvalue().encode(encoding))


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    seconds = int((end - start).total_seconds())
    return start + timedelta(seconds=rng.randrange(seconds))


def _pick(rng: random.Random, weighted: dict):
    return rng.choices(list(weighted), weights=list(weighted.values()))[0]


# ================================================================ NYC 311


NYC_PORTAL_HEADER = [
    "Unique Key", "Created Date", "Closed Date", "Agency", "Agency Name", "Complaint Type",
    "Descriptor", "Location Type", "Incident Zip", "Incident Address", "Street Name",
    "Cross Street 1", "Cross Street 2", "Intersection Street 1", "Intersection Street 2",
    "Address Type", "City", "Landmark", "Facility Type", "Status", "Due Date",
    "Resolution Description", "Resolution Action Updated Date", "Community Board", "BBL",
    "Borough", "X Coordinate (State Plane)", "Y Coordinate (State Plane)",
    "Open Data Channel Type", "Park Facility Name", "Park Borough", "Vehicle Type",
    "Taxi Company Borough", "Taxi Pick Up Location", "Bridge Highway Name",
    "Bridge Highway Direction", "Road Ramp", "Bridge Highway Segment", "Latitude", "Longitude",
    "Location",
]  # fmt: skip
NYC_SODA_FIELDS = [
    "unique_key", "created_date", "closed_date", "agency", "agency_name", "complaint_type",
    "descriptor", "location_type", "incident_zip", "incident_address", "street_name",
    "cross_street_1", "cross_street_2", "intersection_street_1", "intersection_street_2",
    "address_type", "city", "landmark", "facility_type", "status", "due_date",
    "resolution_description", "resolution_action_updated_date", "community_board", "bbl",
    "borough", "x_coordinate_state_plane", "y_coordinate_state_plane", "open_data_channel_type",
    "park_facility_name", "park_borough", "vehicle_type", "taxi_company_borough",
    "taxi_pick_up_location", "bridge_highway_name", "bridge_highway_direction", "road_ramp",
    "bridge_highway_segment", "latitude", "longitude", "location",
]  # fmt: skip
assert len(NYC_PORTAL_HEADER) == len(NYC_SODA_FIELDS) == 41

# agency, agency name, complaint type, descriptors, location type, due days, resolution
NYC_COMPLAINTS = [
    ("NYPD", "New York City Police Department", "Noise - Residential",
     ["Loud Music/Party", "Banging/Pounding", "Loud Talking"], "Residential Building/House",
     None, "The Police Department responded to the complaint and with the information "
     "available observed no evidence of the violation at that time."),
    ("NYPD", "New York City Police Department", "Illegal Parking",
     ["Blocked Hydrant", "Double Parked Blocking Traffic", "Posted Parking Sign Violation"],
     "Street/Sidewalk", None, "The Police Department responded to the complaint and took "
     "action to fix the condition."),
    ("NYPD", "New York City Police Department", "Blocked Driveway",
     ["No Access", "Partial Access"], "Street/Sidewalk", None,
     "The Police Department responded and upon arrival those responsible for the condition "
     "were gone."),
    ("HPD", "Department of Housing Preservation and Development", "HEAT/HOT WATER",
     ["ENTIRE BUILDING", "APARTMENT ONLY"], "RESIDENTIAL BUILDING", None,
     "The Department of Housing Preservation and Development was not able to gain access to "
     "your apartment or others in the building to inspect for a lack of heat or hot water."),
    ("HPD", "Department of Housing Preservation and Development", "UNSANITARY CONDITION",
     ["PESTS", "MOLD"], "RESIDENTIAL BUILDING", None,
     "The Department of Housing Preservation and Development inspected the following "
     "conditions. Violations were issued."),
    ("DSNY", "Department of Sanitation", "Derelict Vehicles", ["14 Derelict Vehicles"],
     "Street", 30, "The Department of Sanitation investigated this complaint and found no "
     "violation at the location."),
    ("DSNY", "Department of Sanitation", "Dirty Conditions", ["E3 Dirty Sidewalk"],
     "Sidewalk", 7, "The Department of Sanitation investigated this complaint and issued a "
     "summons."),
    ("DOT", "Department of Transportation", "Street Condition", ["Pothole", "Cave-in"],
     "Street", 10, "The Department of Transportation inspected this complaint and repaired "
     "the problem."),
    ("DOT", "Department of Transportation", "Street Light Condition",
     ["Street Light Out", "Lamppost Base Door/Cover Missing"], "Street", 10,
     "The Department of Transportation has completed the request or corrected the condition."),
    ("DEP", "Department of Environmental Protection", "Water System",
     ["Hydrant Running (WC3)", "No Water (WNW)"], "Street", None,
     "The Department of Environmental Protection investigated this complaint and shut the "
     "running hydrant."),
    ("DPR", "Department of Parks and Recreation", "Damaged Tree",
     ["Branch Cracked and Will Fall", "Tree Leaning/Uprooted"], "Street", 30,
     "The Department of Parks and Recreation visited the location and inspected the "
     "condition. No work is necessary at this time."),
    ("DOHMH", "Department of Health and Mental Hygiene", "Rodent",
     ["Rat Sighting", "Mouse Sighting"], "3+ Family Apt. Building", 30,
     "The Department of Health and Mental Hygiene will review your complaint to determine "
     "appropriate action."),
]  # fmt: skip
# borough: (BBL digit, community boards, lat box, lon box, zips, cities, streets)
NYC_BOROUGHS = {
    "BROOKLYN": ("3", ["01", "03", "06", "12", "14", "17"], (40.60, 40.72), (-74.00, -73.88),
                 ["11201", "11206", "11215", "11219", "11226", "11203"], ["BROOKLYN"],
                 ["NOSTRAND AVENUE", "FLATBUSH AVENUE", "BEDFORD AVENUE", "OCEAN AVENUE",
                  "EAST 21 STREET", "5 AVENUE"]),
    "MANHATTAN": ("1", ["03", "07", "10", "12"], (40.71, 40.85), (-74.00, -73.93),
                  ["10002", "10024", "10027", "10032"], ["NEW YORK"],
                  ["BROADWAY", "AMSTERDAM AVENUE", "WEST 135 STREET", "GRAND STREET",
                   "LENOX AVENUE"]),
    "QUEENS": ("4", ["01", "04", "07", "12"], (40.68, 40.77), (-73.93, -73.78),
               ["11101", "11373", "11354", "11432"], ["ASTORIA", "ELMHURST", "FLUSHING",
                                                      "JAMAICA"],
               ["31 AVENUE", "BROADWAY", "MAIN STREET", "HILLSIDE AVENUE"]),
    "BRONX": ("2", ["04", "07", "09", "12"], (40.82, 40.89), (-73.93, -73.84),
              ["10452", "10468", "10472", "10466"], ["BRONX"],
              ["GRAND CONCOURSE", "JEROME AVENUE", "WHITE PLAINS ROAD", "SOUNDVIEW AVENUE"]),
    "STATEN ISLAND": ("5", ["01", "02"], (40.58, 40.64), (-74.15, -74.07), ["10301", "10314"],
                      ["STATEN ISLAND"], ["VICTORY BOULEVARD", "FOREST AVENUE"]),
}  # fmt: skip
NYC_CHANNELS = {"PHONE": 50, "ONLINE": 20, "MOBILE": 20, "UNKNOWN": 10}
NYC_OPEN_STATUSES = ["Open", "In Progress", "Pending", "Assigned"]


def _nyc_record(rng: random.Random, key: int, **fixed) -> dict:
    """One NYC 311 service request as a dict of canonical (snake_case) fields, None = null."""
    complaint = fixed.pop("complaint", None)
    agency, agency_name, ctype, descriptors, loc_type, due_days, resolution = (
        NYC_COMPLAINTS[complaint] if complaint is not None else rng.choice(NYC_COMPLAINTS)
    )
    borough = fixed.pop("borough", None) or rng.choice(list(NYC_BOROUGHS))
    created = fixed.pop("created", None) or _between(rng, T(2019, 10, 1), T(2019, 11, 1))
    channel = fixed.pop("channel", None) or _pick(rng, NYC_CHANNELS)
    closed = fixed.pop("closed", "random")
    if closed == "random":
        closed = (
            None
            if rng.random() < 0.12
            else created + timedelta(minutes=rng.randrange(20, 60 * 24 * 9))
        )
        if closed is not None and agency == "HPD":  # HPD closes at midnight, a later day
            closed = T(closed.year, closed.month, closed.day) + timedelta(days=1)
    coords = fixed.pop("coords", rng.random() > 0.06)
    rec = dict.fromkeys(NYC_SODA_FIELDS)
    rec.update(
        unique_key=str(key),
        created_date=created,
        closed_date=closed,
        agency=agency,
        agency_name=agency_name,
        complaint_type=ctype,
        descriptor=rng.choice(descriptors),
        location_type=loc_type,
        status="Closed" if closed else rng.choice(NYC_OPEN_STATUSES),
        due_date=created + timedelta(days=due_days) if due_days else None,
        resolution_description=resolution if closed else None,
        resolution_action_updated_date=closed or created + timedelta(hours=rng.randrange(1, 48)),
        open_data_channel_type=channel,
        park_facility_name="Unspecified",
        facility_type="Precinct" if agency == "NYPD" else "N/A",
    )
    if borough == "Unspecified":
        rec.update(
            community_board="0 Unspecified",
            borough="Unspecified",
            park_borough="Unspecified",
            address_type=None,
            facility_type="N/A",
        )
        coords = False
    else:
        digit, boards, lats, lons, zips, cities, streets = NYC_BOROUGHS[borough]
        street = rng.choice(streets)
        number = rng.randrange(10, 2400)
        lat = round(rng.uniform(*lats), 8)
        lon = round(rng.uniform(*lons), 8)
        intersection = loc_type in ("Street", "Street/Sidewalk") and rng.random() < 0.3
        rec.update(
            incident_zip=rng.choice(zips),
            city=rng.choice(cities),
            community_board=f"{rng.choice(boards)} {borough}",
            borough=borough,
            park_borough=borough,
        )
        if intersection:
            cross = rng.choice([s for s in streets if s != street] or streets)
            rec.update(
                address_type="INTERSECTION",
                intersection_street_1=street,
                intersection_street_2=cross,
            )
        else:
            rec.update(
                address_type="ADDRESS",
                incident_address=f"{number} {street}",
                street_name=street,
                cross_street_1=rng.choice(streets),
                cross_street_2=rng.choice(streets),
                bbl=f"{digit}{rng.randrange(1, 16000):05d}{rng.randrange(1, 200):04d}",
            )
        if coords:
            rec.update(latitude=lat, longitude=lon)
    rec.update(fixed)
    if rec["latitude"] is not None:  # NY State Plane (feet), as the export carries it
        lat, lon = rec["latitude"], rec["longitude"]
        rec["x_coordinate_state_plane"] = str(round(981968 + (lon + 74.0082309) * 276600))
        rec["y_coordinate_state_plane"] = str(round(197317 + (lat - 40.708266) * 364400))
    return rec


def _nyc_anchors(first_key: int) -> list[dict]:
    """Hand-written records the tests check (keys first_key .. first_key + 4)."""
    rng = random.Random(first_key)
    k = first_key
    return [
        _nyc_record(rng, k, complaint=0, descriptor="Loud Music/Party", borough="BROOKLYN",
                    created=T(2019, 10, 6, 0, 5, 55), closed=T(2019, 10, 6, 2, 41, 7),
                    channel="PHONE", coords=True, community_board="17 BROOKLYN",
                    latitude=40.64512345, longitude=-73.94820113),
        _nyc_record(rng, k + 1, complaint=3, descriptor="ENTIRE BUILDING", borough="BRONX",
                    created=T(2019, 10, 6, 13, 2, 11), closed=None, channel="ONLINE",
                    coords=True, status="In Progress", community_board="07 BRONX"),
        _nyc_record(rng, k + 2, complaint=6, borough="QUEENS", created=T(2019, 10, 7, 8, 30, 0),
                    closed=T(2019, 10, 8, 11, 15, 42), channel="MOBILE", coords=False,
                    community_board="04 QUEENS"),
        _nyc_record(rng, k + 3, borough="Unspecified", created=T(2019, 10, 7, 19, 45, 3),
                    closed=T(2019, 10, 9, 9, 0, 0), channel="PHONE", agency="TLC",
                    agency_name="Taxi and Limousine Commission", complaint_type="For Hire "
                    "Vehicle Complaint", descriptor="Driver Complaint - Passenger",
                    location_type="Street", status="Closed", due_date=None,
                    resolution_description="The Taxi and Limousine Commission has reviewed "
                    "your complaint and will contact you if more information is needed.",
                    taxi_pick_up_location="Other"),
        # A real-world defect: a closing date of 1900, before the request was made.
        _nyc_record(rng, k + 4, complaint=7, descriptor="Pothole", borough="MANHATTAN",
                    created=T(2019, 10, 8, 10, 12, 40), closed=T(1900, 1, 1), channel="PHONE",
                    coords=True, resolution_action_updated_date=T(2019, 10, 10, 8, 0, 0)),
    ]  # fmt: skip


def _nyc_records(first_key: int, count: int, seed: int, unspecified: int) -> list[dict]:
    rng = random.Random(seed)
    records = _nyc_anchors(first_key)
    key = first_key + len(records)
    while len(records) < count:
        extra = {"borough": "Unspecified"} if unspecified > 1 and len(records) % 19 == 7 else {}
        if extra:
            unspecified -= 1
        records.append(_nyc_record(rng, key, **extra))
        key += rng.randrange(1, 40)
    return records


def _us_time(value: datetime | None) -> str:
    return value.strftime("%m/%d/%Y %I:%M:%S %p") if value else ""


def _soda_time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.000") if value else ""


def _nyc_cell(field: str, value, fmt) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return fmt(value)
    return str(value)


def write_nyc_portal(path: Path) -> int:
    """As downloaded from the NYC Open Data portal (Export → CSV)."""
    records = _nyc_records(44069512, 60, seed=311, unspecified=3)
    rows = []
    for rec in records:
        row = [_nyc_cell(f, rec[f], _us_time) for f in NYC_SODA_FIELDS[:-1]]
        lat, lon = rec["latitude"], rec["longitude"]
        row.append(f"({lat}, {lon})" if lat is not None else "")
        rows.append(row)
    _write_csv(path, NYC_PORTAL_HEADER, rows)
    return len(rows)


def write_nyc_soda_csv(path: Path) -> int:
    """As returned by the SODA API's .csv endpoint: API field names, every value quoted."""
    records = _nyc_records(44071201, 50, seed=3112, unspecified=2)
    rows = []
    for rec in records:
        row = [_nyc_cell(f, rec[f], _soda_time) for f in NYC_SODA_FIELDS[:-1]]
        lat, lon = rec["latitude"], rec["longitude"]
        row.append(f"POINT ({lon} {lat})" if lat is not None else "")
        rows.append(row)
    _write_csv(path, NYC_SODA_FIELDS, rows, quoting=csv.QUOTE_ALL)
    return len(rows)


def write_nyc_soda_json(path: Path) -> int:
    """As returned by the SODA API's .json endpoint: an array of objects, every value a
    string, null fields left out, ``location`` a nested object."""
    records = _nyc_records(44073301, 40, seed=3113, unspecified=2)
    objects = []
    for rec in records:
        obj = {}
        for f in NYC_SODA_FIELDS[:-1]:
            value = rec[f]
            if value is not None:
                obj[f] = _soda_time(value) if isinstance(value, datetime) else str(value)
        if rec["latitude"] is not None:
            obj["location"] = {
                "latitude": str(rec["latitude"]),
                "longitude": str(rec["longitude"]),
                "human_address": json.dumps({"address": "", "city": "", "state": "", "zip": ""}),
            }
        objects.append(obj)
    text = "[" + "\n,".join(json.dumps(o) for o in objects) + "]\n"
    path.write_text(text, encoding="utf-8")
    return len(objects)


# ================================================================ San Francisco 311 (BigQuery)

SF_FIELDS = [
    "unique_key", "created_date", "closed_date", "resolution_action_updated_date", "status",
    "status_notes", "agency_name", "category", "complaint_type", "descriptor",
    "incident_address", "supervisor_district", "neighborhood", "location", "source",
    "media_url", "latitude", "longitude", "police_district",
]  # fmt: skip
SF_AREAS = [  # neighborhood, police district, supervisor district, lat box, lon box, zip, streets
    ("Mission", "MISSION", 9, (37.748, 37.768), (-122.425, -122.405), "94110",
     ["FOLSOM ST", "MISSION ST", "VALENCIA ST", "24TH ST"]),
    ("Tenderloin", "TENDERLOIN", 6, (37.780, 37.787), (-122.420, -122.408), "94102",
     ["EDDY ST", "ELLIS ST", "LEAVENWORTH ST", "TURK ST"]),
    ("South of Market", "SOUTHERN", 6, (37.770, 37.782), (-122.410, -122.395), "94103",
     ["HOWARD ST", "FOLSOM ST", "6TH ST", "NATOMA ST"]),
    ("Bayview", "BAYVIEW", 10, (37.725, 37.740), (-122.395, -122.380), "94124",
     ["3RD ST", "OAKDALE AVE", "PALOU AVE"]),
    ("Outer Sunset", "TARAVAL", 4, (37.745, 37.760), (-122.505, -122.485), "94122",
     ["JUDAH ST", "IRVING ST", "44TH AVE"]),
    ("Inner Richmond", "RICHMOND", 1, (37.778, 37.786), (-122.470, -122.455), "94118",
     ["CLEMENT ST", "GEARY BLVD", "6TH AVE"]),
    ("Haight Ashbury", "PARK", 5, (37.766, 37.772), (-122.452, -122.440), "94117",
     ["HAIGHT ST", "PAGE ST", "MASONIC AVE"]),
    ("Nob Hill", "CENTRAL", 3, (37.789, 37.796), (-122.418, -122.410), "94109",
     ["BUSH ST", "PINE ST", "HYDE ST"]),
]  # fmt: skip
SF_SERVICES = [  # category, complaint type, descriptor, agency, closed note
    ("Street and Sidewalk Cleaning", "Bulky Items", "Bulky Items", "Recology_Abandoned",
     "Case Resolved - Pickup completed."),
    ("Street and Sidewalk Cleaning", "General Cleaning", "Garbage", "DPW Ops Queue",
     "Case Resolved - Area cleaned."),
    ("Street and Sidewalk Cleaning", "Human or Animal Waste", "Human Waste", "DPW Ops Queue",
     "Case Resolved - Area cleaned."),
    ("Graffiti", "Graffiti on Pole", "Not_Offensive", "DPW BSM Queue",
     "Case Resolved - Graffiti removed."),
    ("Encampments", "Encampment Reports", "Encampment", "HSOC Queue",
     "Case Resolved - Encampment resolved."),
    ("Abandoned Vehicle", "Abandoned Vehicles", "Abandoned Vehicle - Car4door",
     "DPT Abandoned Vehicles Work Queue", "Case Resolved - Vehicle marked for tow."),
    ("Parking Enforcement", "Blocking_Driveway", "Parking Enforcement",
     "Parking Enforcement Dispatch Queue", "Case Resolved - Citation issued."),
    ("Street Defects", "Pavement_Defect", "Pothole", "DPW BSSR Queue",
     "Case Resolved - Pothole repaired."),
    ("Streetlights", "Streetlight - Light_Burnt_Out", "Light Burnt Out", "PUC Streetlights Queue",
     "Case Resolved - Light repaired."),
    ("Sewer Issues", "Flooding", "Sewer_backup", "PUC Sewer Ops",
     "Case Transferred - Referred to PUC."),
]  # fmt: skip
SF_SOURCES = {"Phone": 30, "Mobile/Open311": 40, "Web": 15, "Twitter": 5,
              "Integrated Agency": 5, "Other Department": 5}  # fmt: skip


def _bq_time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else ""


def _sf_record(rng: random.Random, key: int, **fixed) -> list:
    area = fixed.pop("area", None) or rng.choice(SF_AREAS)
    category, ctype, descriptor, agency, note = fixed.pop("service", None) or rng.choice(
        SF_SERVICES
    )
    created = fixed.pop("created", None) or _between(rng, T(2019, 10, 1), T(2019, 11, 1))
    closed = fixed.pop("closed", "random")
    if closed == "random":
        closed = (
            None
            if rng.random() < 0.15
            else created + timedelta(minutes=rng.randrange(15, 60 * 24 * 6))
        )
    source = fixed.pop("source", None) or _pick(rng, SF_SOURCES)
    coords = fixed.pop("coords", rng.random() > 0.05)
    hood, police, district, lats, lons, zipcode, streets = area
    lat, lon = round(rng.uniform(*lats), 8), round(rng.uniform(*lons), 8)
    address = f"{rng.randrange(100, 3900)} {rng.choice(streets)}, SAN FRANCISCO, CA, {zipcode}"
    rec = {
        "unique_key": key,
        "created_date": created,
        "closed_date": closed,
        "resolution_action_updated_date": closed or created + timedelta(hours=rng.randrange(1, 30)),
        "status": "Closed" if closed else "Open",
        "status_notes": note if closed else rng.choice(["open", "accepted", None]),
        "agency_name": agency,
        "category": category,
        "complaint_type": ctype,
        "descriptor": descriptor,
        "incident_address": address,
        "supervisor_district": district if coords else None,
        "neighborhood": hood if coords else None,
        "location": f"({lat}, {lon})" if coords else None,
        "source": source,
        "media_url": (
            f"http://mobile311.sfgov.org/media/san_francisco/report/photos/{key:x}/photo.jpg"
            if source == "Mobile/Open311" and rng.random() < 0.5
            else None
        ),
        "latitude": lat if coords else None,
        "longitude": lon if coords else None,
        "police_district": police if coords else None,
    }
    rec.update(fixed)
    return [_bq_time(rec[f]) if isinstance(rec[f], datetime) else rec[f] for f in SF_FIELDS]


def write_sf_bigquery(path: Path) -> int:
    """SELECT * (without the two derived neighborhood_* columns) from
    bigquery-public-data.san_francisco_311.311_service_requests, exported as CSV."""
    rng = random.Random(415)
    mission = SF_AREAS[0]
    rows = [
        _sf_record(rng, 11610001, area=mission, service=SF_SERVICES[0],
                   created=T(2019, 10, 6, 0, 5, 55), closed=T(2019, 10, 7, 9, 30, 0),
                   source="Phone", coords=True),
        _sf_record(rng, 11610002, area=SF_AREAS[1], service=SF_SERVICES[2],
                   created=T(2019, 10, 6, 7, 41, 2), closed=None, source="Mobile/Open311",
                   coords=True),
        _sf_record(rng, 11610003, area=SF_AREAS[6], service=SF_SERVICES[3],
                   created=T(2019, 10, 6, 16, 20, 0), closed=T(2019, 10, 8, 12, 0, 0),
                   source="Web", coords=True),
        _sf_record(rng, 11610004, service=SF_SERVICES[9], created=T(2019, 10, 7, 3, 3, 3),
                   closed=T(2019, 10, 7, 5, 0, 0), source="Twitter", coords=False),
    ]  # fmt: skip
    key = 11610004
    while len(rows) < 60:
        key += rng.randrange(1, 90)
        rows.append(_sf_record(rng, key))
    _write_csv(path, SF_FIELDS, rows)
    return len(rows)


# ================================================================ Los Angeles MyLA311

LA_HEADER = [
    "SRNumber", "CreatedDate", "UpdatedDate", "ActionTaken", "Owner", "RequestType", "Status",
    "RequestSource", "CreatedByUserOrganization", "MobileOS", "Anonymous", "AssignTo",
    "ServiceDate", "ClosedDate", "AddressVerified", "ApproximateAddress", "Address",
    "HouseNumber", "Direction", "StreetName", "Suffix", "ZipCode", "Latitude", "Longitude",
    "Location", "TBMPage", "TBMColumn", "TBMRow", "APC", "CD", "CDMember", "NC", "NCName",
    "PolicePrecinct",
]  # fmt: skip
LA_AREAS = [  # APC, CD, council member (fictional), NC, NC name, precinct, lat, lon, zips, streets
    ("Central APC", 10, "Maria Delgado", 76, "WILSHIRE CENTER - KOREATOWN NC", "OLYMPIC",
     (34.055, 34.068), (-118.310, -118.290), ["90005", "90010", "90020"],
     [("S", "KINGSLEY", "DR"), ("W", "6TH", "ST"), ("S", "NORMANDIE", "AVE")]),
    ("East Los Angeles APC", 14, "Daniel Reyes", 50, "BOYLE HEIGHTS NC", "HOLLENBECK",
     (34.030, 34.050), (-118.220, -118.195), ["90033"],
     [("E", "CESAR E CHAVEZ", "AVE"), ("N", "SOTO", "ST"), ("E", "1ST", "ST")]),
    ("South Valley APC", 6, "Karen Whitfield", 19, "VAN NUYS NC", "VAN NUYS",
     (34.180, 34.200), (-118.460, -118.440), ["91405", "91406"],
     [("N", "SEPULVEDA", "BLVD"), ("W", "VICTORY", "BLVD"), ("N", "KESTER", "AVE")]),
    ("East Los Angeles APC", 1, "Luis Navarro", 42, "HISTORIC HIGHLAND PARK NC", "NORTHEAST",
     (34.105, 34.120), (-118.205, -118.185), ["90042"],
     [("N", "FIGUEROA", "ST"), ("", "YORK", "BLVD"), ("N", "AVENUE 56", "")]),
    ("South Los Angeles APC", 8, "Denise Carter", 87, "EMPOWERMENT CONGRESS WEST AREA NDC",
     "SOUTHWEST", (34.000, 34.015), (-118.340, -118.320), ["90008"],
     [("W", "SLAUSON", "AVE"), ("S", "CRENSHAW", "BLVD")]),
    ("West Los Angeles APC", 5, "Ruth Abrams", 68, "WESTWOOD NC", "WEST LOS ANGELES",
     (34.055, 34.070), (-118.450, -118.435), ["90024"],
     [("", "WESTWOOD", "BLVD"), ("", "GAYLEY", "AVE")]),
    ("Harbor APC", 15, "Tom Okafor", 95, "CENTRAL SAN PEDRO NC", "HARBOR",
     (33.735, 33.750), (-118.300, -118.280), ["90731"],
     [("S", "PACIFIC", "AVE"), ("W", "9TH", "ST")]),
]  # fmt: skip
LA_REQUESTS = [  # owner, request type, assign-to options
    ("LASAN", "Bulky Items", ["WV", "NC", "EV", "SLA", "WLA", "HARBOR"]),
    ("LASAN", "Illegal Dumping Pickup", ["WV", "NC", "EV", "SLA", "WLA"]),
    ("LASAN", "Metal/Household Appliances", ["WV", "NC", "SLA"]),
    ("LASAN", "Electronic Waste", ["EV", "NC", "WLA"]),
    ("LASAN", "Dead Animal Removal", ["NC", "SLA"]),
    ("OCB", "Graffiti Removal", ["LACC", "WLA", "EVAL"]),
    ("BSL", "Single Streetlight Issue", ["BSL"]),
    ("BSL", "Multiple Streetlight Issue", ["BSL"]),
    ("LASAN", "Homeless Encampment", ["LASAN"]),
    ("ITA", "Other", ["ITA"]),
]
LA_SOURCES = {"Call": 35, "Mobile App": 25, "Self Service": 20, "Driver Self Report": 10,
              "Email": 5, "Voicemail": 3, "Twitter": 2}  # fmt: skip
LA_CREATOR = {"Call": ["BOS", "Council's Office", "LASAN"], "Mobile App": ["Self Service"],
              "Self Service": ["Self Service"], "Driver Self Report": ["Proactive Insert"],
              "Email": ["BOS"], "Voicemail": ["BOS"], "Twitter": ["BOS"]}  # fmt: skip


def _la_record(rng: random.Random, sr: str, **fixed) -> list:
    area = fixed.pop("area", None) or rng.choice(LA_AREAS)
    owner, rtype, assign = fixed.pop("request", None) or rng.choice(LA_REQUESTS)
    created = fixed.pop("created", None) or _between(rng, T(2019, 10, 1), T(2019, 11, 1))
    source = fixed.pop("source", None) or _pick(rng, LA_SOURCES)
    closed = fixed.pop("closed", "random")
    if closed == "random":
        closed = (
            None
            if rng.random() < 0.15
            else created + timedelta(minutes=rng.randrange(30, 60 * 24 * 8))
        )
    verified = fixed.pop("coords", rng.random() > 0.07)
    apc, cd, member, nc, ncname, precinct, lats, lons, zips, streets = area
    direction, street, suffix = rng.choice(streets)
    others = [x for x in streets if x[1] != street] or streets
    cross = " ".join(p for p in rng.choice(others)[1:] if p)
    number = rng.randrange(100, 18000)
    zipcode = rng.choice(zips)
    lat, lon = round(rng.uniform(*lats), 8), round(rng.uniform(*lons), 8)
    name = " ".join(p for p in (str(number), direction, street, suffix) if p)
    status = "Closed" if closed else rng.choice(["Open", "Pending", "Forward"])
    service = created + timedelta(days=rng.randrange(1, 6)) if rtype == "Bulky Items" else None
    if service is not None:
        service = T(service.year, service.month, service.day)
    rec = {
        "SRNumber": sr,
        "CreatedDate": created,
        "UpdatedDate": closed or created + timedelta(hours=rng.randrange(1, 72)),
        "ActionTaken": "SR Created",
        "Owner": owner,
        "RequestType": rtype,
        "Status": status,
        "RequestSource": source,
        "CreatedByUserOrganization": rng.choice(LA_CREATOR[source]),
        "MobileOS": rng.choice(["iOS", "Android"]) if source == "Mobile App" else None,
        "Anonymous": rng.choice(["Y", "N", "N"]),
        "AssignTo": rng.choice(assign),
        "ServiceDate": service,
        "ClosedDate": closed,
        "AddressVerified": "Y" if verified else "N",
        "ApproximateAddress": "N" if verified else None,
        "Address": f"{name}, {zipcode}" if verified else f"{street} {suffix} AND {cross}",
        "HouseNumber": number if verified else None,
        "Direction": (direction or None) if verified else None,
        "StreetName": street if verified else None,
        "Suffix": (suffix or None) if verified else None,
        "ZipCode": zipcode if verified else None,
        "Latitude": lat if verified else None,
        "Longitude": lon if verified else None,
        "Location": f"({lat}, {lon})" if verified else None,
        "TBMPage": rng.randrange(480, 800) if verified else None,
        "TBMColumn": rng.choice("ABCDEFGHJ") if verified else None,
        "TBMRow": rng.randrange(1, 8) if verified else None,
        "APC": apc if verified else None,
        "CD": cd if verified else None,
        "CDMember": member if verified else None,
        "NC": nc if verified else None,
        "NCName": ncname if verified else None,
        "PolicePrecinct": precinct if verified else None,
    }
    rec.update(fixed)
    return [_us_time(v) if isinstance(v, datetime) else v for v in rec.values()]


def write_la(path: Path) -> int:
    """MyLA311 Service Request Data 2019 as exported from the LA open data portal (CSV)."""
    rng = random.Random(213)
    rows = [
        _la_record(rng, "1-1486513251", area=LA_AREAS[0], request=LA_REQUESTS[0],
                   created=T(2019, 10, 6, 0, 5, 55), closed=T(2019, 10, 9, 14, 20, 11),
                   source="Call", coords=True),
        _la_record(rng, "1-1486513307", area=LA_AREAS[1], request=LA_REQUESTS[5],
                   created=T(2019, 10, 6, 12, 30, 0), closed=None, source="Mobile App",
                   coords=True),
        _la_record(rng, "1-1486513390", area=LA_AREAS[2], request=LA_REQUESTS[1],
                   created=T(2019, 10, 6, 23, 59, 1), closed=T(2019, 10, 8, 7, 5, 0),
                   source="Self Service", coords=False),
        _la_record(rng, "1-1486513412", area=LA_AREAS[3], request=LA_REQUESTS[1],
                   created=T(2019, 10, 7, 6, 10, 0), closed=T(2019, 10, 7, 6, 10, 0),
                   source="Driver Self Report", coords=True),
    ]  # fmt: skip
    serial = 1486513412
    while len(rows) < 60:
        serial += rng.randrange(3, 400)
        rows.append(_la_record(rng, f"1-{serial}"))
    _write_csv(path, LA_HEADER, rows)
    return len(rows)


# ================================================================ Boston 311

BOSTON_FIELDS = [
    "case_enquiry_id", "open_dt", "target_dt", "closed_dt", "ontime", "case_status",
    "closure_reason", "case_title", "subject", "reason", "type", "queue", "department",
    "submittedphoto", "closedphoto", "location", "fire_district", "pwd_district",
    "city_council_district", "police_district", "neighborhood", "neighborhood_services_district",
    "ward", "precinct", "location_street_name", "location_zipcode", "latitude", "longitude",
    "source",
]  # fmt: skip
BOSTON_AREAS = [  # neighborhood, police, fire, pwd, council, nsd, wards, zip, lat, lon, streets
    ("Dorchester", "C11", "8", "03", "3", "7", [13, 15, 16, 17], "02122", (42.290, 42.315),
     (-71.070, -71.045), ["Dorchester Ave", "Adams St", "Gibson St"]),
    ("Roxbury", "B2", "9", "10A", "7", "13", [8, 9, 11, 12], "02119", (42.315, 42.332),
     (-71.095, -71.075), ["Dudley St", "Warren St", "Blue Hill Ave"]),
    ("South Boston / South Boston Waterfront", "C6", "6", "05", "2", "5", [6, 7], "02127",
     (42.330, 42.340), (-71.055, -71.030), ["E Broadway", "W 4th St", "L St"]),
    ("Brighton", "D14", "11", "04", "9", "15", [21, 22], "02135", (42.345, 42.360),
     (-71.165, -71.140), ["N Beacon St", "Washington St", "Market St"]),
    ("Jamaica Plain", "E13", "9", "02", "6", "11", [10, 19], "02130", (42.305, 42.325),
     (-71.120, -71.100), ["Centre St", "South St", "Lamartine St"]),
    ("East Boston", "A7", "1", "09", "1", "1", [1], "02128", (42.370, 42.385),
     (-71.040, -71.020), ["Meridian St", "Bennington St", "Saratoga St"]),
    ("Charlestown", "A15", "3", "1A", "1", "2", [2], "02129", (42.372, 42.382),
     (-71.070, -71.055), ["Bunker Hill St", "Main St", "Putnam St"]),
    ("Back Bay", "D4", "4", "1C", "8", "14", [4, 5], "02116", (42.347, 42.354),
     (-71.085, -71.070), ["Boylston St", "Newbury St", "Commonwealth Ave"]),
    ("Mattapan", "B3", "12", "07", "4", "9", [14, 18], "02126", (42.265, 42.285),
     (-71.100, -71.080), ["River St", "Cummins Hwy", "Morton St"]),
]  # fmt: skip
BOSTON_SERVICES = [  # subject, reason, type, queue, department, target days, closure note
    ("Public Works Department", "Street Lights", "Street Light Outages",
     "PWDx_Street Light Outages", "PWDx", 30, "Case Resolved Fixed light"),
    ("Public Works Department", "Highway Maintenance", "Request for Pothole Repair",
     "PWDx_District 03: North Dorchester", "PWDx", 3, "Case Resolved Pothole repaired"),
    ("Public Works Department", "Sanitation", "Missed Trash/Recycling/Yard Waste/Bulk Item",
     "PWDx_Missed Trash\\Recycling\\Yard Waste\\Bulk Item", "PWDx", 1,
     "Case Resolved Trash picked up"),
    ("Public Works Department", "Street Cleaning", "Requests for Street Cleaning",
     "PWDx_District 1C: Downtown", "PWDx", 2, "Case Resolved Area swept"),
    ("Transportation - Traffic Division", "Enforcement & Abandoned Vehicles",
     "Parking Enforcement", "BTDT_Parking Enforcement", "BTDT", 1,
     "Case Resolved Area ticketed"),
    ("Transportation - Traffic Division", "Signs & Signals", "Traffic Signal Inspection",
     "BTDT_Traffic Signal Repair", "BTDT", 14, "Case Resolved Signal repaired"),
    ("Inspectional Services", "Housing", "Unsatisfactory Living Conditions",
     "ISD_Housing (INTERNAL)", "ISD", 30, "Case Resolved Inspection completed"),
    ("Inspectional Services", "Environmental Services", "Rodent Activity",
     "ISD_Environmental Services (INTERNAL)", "ISD", 14, "Case Resolved Area baited"),
    ("Parks & Recreation Department", "Trees", "Tree Maintenance Requests",
     "PARK_Maintenance_Tree Maintenance Requests", "PARK", 180, "Case Noted Tree inspected"),
]  # fmt: skip
BOSTON_SOURCES = {"Constituent Call": 35, "Citizens Connect App": 30, "Self Service": 10,
                  "Employee Generated": 15, "City Worker App": 7, "Twitter": 3}  # fmt: skip
BOSTON_CITY_HALL = (42.3594, -71.0587)  # where Boston puts requests without a location


def _boston_record(rng: random.Random, case: int, **fixed) -> list:
    area = fixed.pop("area", None) or rng.choice(BOSTON_AREAS)
    subject, reason, rtype, queue, dept, days, note = fixed.pop("service", None) or rng.choice(
        BOSTON_SERVICES
    )
    opened = fixed.pop("opened", None) or _between(rng, T(2022, 1, 1), T(2022, 3, 1))
    source = fixed.pop("source", None) or _pick(rng, BOSTON_SOURCES)
    closed = fixed.pop("closed", "random")
    if closed == "random":
        closed = (
            None
            if rng.random() < 0.15
            else opened + timedelta(minutes=rng.randrange(10, 60 * 24 * 20))
        )
    located = fixed.pop("coords", rng.random() > 0.08)
    hood, police, fire, pwd, council, nsd, wards, zipcode, lats, lons, streets = area
    target = opened + timedelta(days=days) if rng.random() > 0.1 else None
    ontime = "OVERDUE" if target and (closed or T(2022, 3, 15)) > target else "ONTIME"
    ward = rng.choice(wards)
    street = rng.choice(streets)
    cross = rng.choice([x for x in streets if x != street])
    number = rng.randrange(1, 400)
    lat, lon = (round(rng.uniform(*lats), 4), round(rng.uniform(*lons), 4))
    if not located:
        lat, lon = BOSTON_CITY_HALL
    if closed:
        stamp = closed.strftime("%Y-%m-%d %H:%M:%S.") + f"{rng.randrange(1000):03d}"
        closure = f"Case Closed. Closed date : {stamp} {note}  "
    else:
        closure = " "
    photo = (
        f"https://311.boston.gov/media/boston/report/photos/{case:024x}/report.jpg"
        if source == "Citizens Connect App" and rng.random() < 0.6
        else None
    )
    rec = {
        "case_enquiry_id": case,
        "open_dt": opened.strftime("%Y-%m-%d %H:%M:%S"),
        "target_dt": target.strftime("%Y-%m-%d %H:%M:%S") if target else None,
        "closed_dt": closed.strftime("%Y-%m-%d %H:%M:%S") if closed else None,
        "ontime": ontime,
        "case_status": "Closed" if closed else "Open",
        "closure_reason": closure,
        "case_title": rng.choice([rtype, rtype, reason]),
        "subject": subject,
        "reason": reason,
        "type": rtype,
        "queue": queue,
        "department": dept,
        "submittedphoto": photo,
        "closedphoto": None,
        "location": (
            f"{number} {street}  {hood.split(' /')[0]}  MA  {zipcode}"
            if located
            else f"INTERSECTION of {street} & {cross}  {hood.split(' /')[0]}  MA  "
        ),
        "fire_district": fire,
        "pwd_district": pwd,
        "city_council_district": council,
        "police_district": police,
        "neighborhood": hood,
        "neighborhood_services_district": nsd,
        "ward": f"Ward {ward}" if rng.random() < 0.7 else str(ward),
        "precinct": f"{ward:02d}{rng.randrange(1, 15):02d}",
        "location_street_name": f"{number} {street}" if located else None,
        "location_zipcode": zipcode if located else None,
        "latitude": lat,
        "longitude": lon,
        "source": source,
    }
    rec.update(fixed)
    return list(rec.values())


def write_boston(path: Path) -> int:
    """Boston 311 Service Requests (2022 resource), read with pandas and saved again with
    ``DataFrame.to_csv()`` — so the first header cell is empty and the first column holds the
    pandas index 0, 1, 2, …"""
    rng = random.Random(617)
    rows = [
        _boston_record(rng, 101004114776, area=BOSTON_AREAS[0], service=BOSTON_SERVICES[4],
                       opened=T(2022, 1, 3, 12, 13, 47), closed=T(2022, 1, 3, 12, 41, 17),
                       source="Constituent Call", coords=True),
        _boston_record(rng, 101004114802, area=BOSTON_AREAS[3], service=BOSTON_SERVICES[0],
                       opened=T(2022, 1, 3, 14, 2, 9), closed=None,
                       source="Citizens Connect App", coords=True),
        _boston_record(rng, 101004114833, area=BOSTON_AREAS[1], service=BOSTON_SERVICES[1],
                       opened=T(2022, 1, 3, 16, 30, 0), closed=T(2022, 1, 5, 9, 12, 30),
                       source="Employee Generated", coords=False),
        _boston_record(rng, 101004114870, area=BOSTON_AREAS[6], service=BOSTON_SERVICES[2],
                       opened=T(2022, 1, 4, 7, 55, 21), closed=T(2022, 1, 4, 15, 0, 2),
                       source="Self Service", coords=True),
    ]  # fmt: skip
    case = 101004114870
    while len(rows) < 60:
        case += rng.randrange(1, 700)
        rows.append(_boston_record(rng, case))
    header = [""] + BOSTON_FIELDS
    _write_csv(path, header, [[i, *row] for i, row in enumerate(rows)])
    return len(rows)


# ================================================================ Open311 GeoReport v2

OPEN311_SERVICES = [  # service code, name, agency
    ("006", "Sidewalk and Curb Issues", "DPW"),
    ("001", "Graffiti Removal", "DPW BSM"),
    ("002", "Abandoned Vehicle", "SFMTA"),
    ("003", "Street Cleaning", "DPW Ops"),
    ("004", "Pothole", "DPW BSSR"),
    ("005", "Streetlight Out", "PUC"),
    ("007", "Illegal Dumping", "DPW Ops"),
    ("008", "Tree Maintenance", "Urban Forestry"),
]
OPEN311_STREETS = ["JUDAH ST", "IRVING ST", "LINCOLN WAY", "NORIEGA ST", "TARAVAL ST",
                   "19TH AVE", "SUNSET BLVD", "GREAT HWY"]  # fmt: skip


def _iso(value: datetime, offset: str = "-08:00") -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S") + offset


def _open311_record(rng: random.Random, rid: int, **fixed) -> dict:
    code, name, agency = fixed.pop("service", None) or rng.choice(OPEN311_SERVICES)
    requested = fixed.pop("requested", None) or _between(rng, T(2010, 4, 1), T(2010, 5, 1))
    closed = fixed.pop("closed", rng.random() < 0.8)
    updated = requested + timedelta(minutes=rng.randrange(30, 60 * 24 * 5))
    street = rng.choice(OPEN311_STREETS)
    rec = {
        "service_request_id": rid,
        "status": "closed" if closed else "open",
        "status_notes": rng.choice(["Duplicate request.", "Completed.", "Referred to PUC."])
        if closed
        else None,
        "service_name": name,
        "service_code": code,
        "description": rng.choice([None, None, f"Reported near {street}."]),
        "agency_responsible": rng.choice([agency, None]),
        "service_notice": None,
        "requested_datetime": _iso(requested),
        "updated_datetime": _iso(updated),
        "expected_datetime": _iso(requested + timedelta(days=2)) if rng.random() < 0.5 else None,
        "address": f"{rng.randrange(100, 4800)} {street}"
        if rng.random() < 0.7
        else f"{rng.randrange(8, 48)}TH AVE and {street}",
        "address_id": rng.randrange(100000, 999999),
        "zipcode": rng.choice([94116, 94122]),
        "lat": round(rng.uniform(37.745, 37.765), 9),
        "long": round(rng.uniform(-122.505, -122.465), 7),
        "media_url": f"http://city.example.org/requests/media/{rid}.jpg"
        if rng.random() < 0.25
        else None,
    }
    rec.update(fixed)
    return rec


def open311_records() -> list[dict]:
    rng = random.Random(2010)
    records = [
        _open311_record(rng, 638350, service=OPEN311_SERVICES[0],
                        requested=T(2010, 4, 14, 6, 37, 38), closed=True,
                        status_notes="Duplicate request.",
                        requested_datetime="2010-04-14T06:37:38-08:00",
                        updated_datetime="2010-04-14T09:12:05-08:00",
                        expected_datetime="2010-04-15T06:37:38-08:00",
                        address="8TH AVE and JUDAH ST", address_id=545483, zipcode=94122,
                        lat=37.762221815, long=-122.4651145),
        _open311_record(rng, 638351, service=OPEN311_SERVICES[3],
                        requested=T(2010, 4, 14, 18, 0, 1), closed=False,
                        requested_datetime="2010-04-14T18:00:01-08:00",
                        updated_datetime="2010-04-15T08:30:00-08:00"),
        _open311_record(rng, 638352, service=OPEN311_SERVICES[4], closed=True,
                        requested_datetime="2010-04-20T17:05:00Z",
                        updated_datetime="2010-04-21T16:00:00Z", expected_datetime=None),
    ]  # fmt: skip
    rid = 638352
    while len(records) < 40:
        rid += rng.randrange(1, 60)
        records.append(_open311_record(rng, rid))
    return records


def write_open311_json(path: Path) -> int:
    """GET /requests.json of a GeoReport v2 server: a JSON array of service requests."""
    records = open311_records()
    path.write_text(json.dumps(records, indent=2) + "\n", encoding="utf-8")
    return len(records)


def write_open311_jsonl(path: Path) -> int:
    """The same service requests as JSON Lines, one object per line."""
    records = open311_records()
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return len(records)


# ================================================================ 问政留言 (泰迪杯 2020 智慧政务)

WENZHENG_HEADER = ["留言编号", "留言用户", "留言主题", "留言时间", "留言详情", "一级标签",
                   "答复意见", "答复时间"]  # fmt: skip
WENZHENG_TOPICS = {
    "城乡建设": ["{p}{x}小区物业乱收停车费", "{p}{x}安置房迟迟不能交房", "{p}{x}小区电梯频繁故障",
                 "{p}{x}路段施工围挡占道严重"],
    "环境保护": ["{p}{x}工业园夜间排放刺鼻气体", "{p}{x}河道发黑发臭", "{p}{x}搅拌站粉尘污染严重"],
    "交通运输": ["{p}{x}公交线路调整后出行不便", "{p}{x}路口红绿灯时间设置不合理",
                 "建议在{p}{x}增设公交站台"],
    "教育文体": ["{p}{x}学校违规补课收费", "{p}{x}幼儿园学位紧张", "{p}{x}体育馆长期不对外开放"],
    "劳动和社会保障": ["{p}{x}公司拖欠员工工资", "咨询{p}灵活就业人员社保缴费问题",
                       "{p}{x}企业未给员工缴纳社保"],
    "商贸旅游": ["{p}{x}景区门票价格不合理", "{p}{x}商场虚假促销", "{p}{x}农贸市场缺斤短两"],
    "卫生计生": ["{p}{x}医院挂号难", "{p}{x}诊所无证行医", "咨询{p}二孩生育登记办理流程"],
}  # fmt: skip
WENZHENG_PLACES = ["A市A1区", "A市A2区", "A市A3区", "A市A5区", "A市A7县", "A市A9市"]
WENZHENG_SPOTS = ["丽发新城", "金色家园", "梅溪湖", "星沙", "暮云街道", "洋湖", "万家丽路",
                  "望城经开区", "黄兴镇", "含浦"]  # fmt: skip
WENZHENG_BODY = [
    "本人住在{x}附近，{t}的问题已经持续很长时间了，多次向有关部门反映均没有得到解决，"
    "严重影响了周边居民的正常生活，恳请领导重视，尽快安排人员处理。",
    "{t}。我们多次打电话反映，对方一直推诿。希望相关部门能够调查核实，给老百姓一个说法！",
    "尊敬的领导：您好！{t}，给群众带来很大不便。请问这个问题归哪个部门管？何时能解决？谢谢！",
]
WENZHENG_REPLY = (
    "网友“{u}”您好！您的留言已收悉。现将有关情况回复如下：经核实，{t}的问题已转交相关部门"
    "办理，目前正在处理中。感谢您对我们工作的关注和支持！{d}"
)


def _wz_time(value: datetime, slash: bool) -> str:
    if slash:
        return f"{value.year}/{value.month}/{value.day} {value:%H:%M:%S}"
    return value.strftime("%Y-%m-%d %H:%M:%S")


def write_wenzheng(path: Path) -> int:
    """An export of 问政平台 messages shaped like the 2020 泰迪杯 智慧政务 data: no place column,
    UTF-8 with a BOM, CRLF, the detail text wrapped in the platform's tabs and newlines."""
    rng = random.Random(2020)
    rows = []
    number = 188
    for i in range(50):
        category = rng.choice(list(WENZHENG_TOPICS)) if i else "城乡建设"
        place = rng.choice(WENZHENG_PLACES)
        spot = rng.choice(WENZHENG_SPOTS)
        topic = rng.choice(WENZHENG_TOPICS[category]).format(p=place, x=spot)
        user = rng.choice(["A", "U", "UU"]) + f"{rng.randrange(10**6, 10**7):07d}"
        posted = (
            T(2019, 1, 8, 15, 26, 33) if i == 0 else _between(rng, T(2019, 1, 2), T(2019, 12, 20))
        )
        slash = i == 0 or (i != 1 and rng.random() < 0.5)
        if i == 1:
            posted = T(2019, 1, 9, 9, 5, 0)
        body = rng.choice(WENZHENG_BODY).format(x=spot, t=topic)
        detail = "\n\t\t\t\t\t\t\n\t\t\t\t\t\t\t" + body + "\n\t\t\t\t\t\t\n\t\t\t\t\t"
        answered = i == 0 or rng.random() < 0.8
        reply_at = posted + timedelta(days=rng.randrange(2, 40), minutes=rng.randrange(600))
        reply = WENZHENG_REPLY.format(
            u=user, t=topic, d=f"{reply_at.year}年{reply_at.month}月{reply_at.day}日"
        )
        rows.append([
            number, user, topic, _wz_time(posted, slash), detail, category,
            reply if answered else None, _wz_time(reply_at, slash) if answered else None,
        ])  # fmt: skip
        number += rng.randrange(3, 260)
    _write_csv(path, WENZHENG_HEADER, rows, encoding="utf-8-sig", newline="\r\n")
    return len(rows)


# ================================================================ 12345 热线工单 (GB18030 + xlsx)

HOTLINE_TITLE = "渝兴区12345政务服务便民热线工单明细表"
HOTLINE_HEADER = ["序号", "工单编号", "来电时间", "受理时间", "派单时间", "办结时间", "办结时限",
                  "诉求类型", "来源渠道", "问题分类", "所属街道", "所属社区", "所属网格",
                  "承办单位", "工单状态", "满意度", "是否解决", "来电人", "联系电话", "地址",
                  "诉求内容"]  # fmt: skip
HOTLINE_PLACES = {
    "龙湾街道": {"龙湾社区": ["滨江路", "龙湾大道"], "滨江社区": ["滨江路", "临江巷"]},
    "青枫街道": {"青枫社区": ["青枫路", "枫林街"], "梧桐社区": ["梧桐大道", "桐花巷"]},
    "桂园街道": {"桂园社区": ["桂园路", "金桂街"], "石门社区": ["石门路", "石门后街"]},
}
HOTLINE_CATEGORIES = {  # 问题分类: (承办单位, 诉求内容 templates)
    "物业管理": ("区住建委", ["{a}小区物业长期不作为，楼道垃圾无人清理。",
                             "{a}小区电梯经常停运，物业不维修。"]),
    "违章建筑": ("区城管局", ["{a}有住户在楼顶搭建彩钢棚。",
                             "{a}一楼商户私自扩建，占用公共绿地。"]),
    "环境卫生": ("区城管局", ["{a}路边垃圾堆积多日未清运。", "{a}附近公厕卫生差，无人打扫。"]),
    "噪音扰民": ("区生态环境局", ["{a}附近工地夜间施工，噪音严重影响休息。",
                                 "{a}广场舞音响音量过大。"]),
    "矛盾纠纷": ("{s}综治中心", ["{a}邻里因漏水问题发生争执，请求调解。",
                                "{a}两户居民因停车位产生纠纷。"]),
    "消防安全": ("区应急局", ["{a}楼道堆放杂物，堵塞消防通道。", "{a}有人在楼道内给电动车充电。"]),
    "市容秩序": ("区城管局", ["{a}路段占道经营，流动摊贩较多。", "{a}人行道上乱停放共享单车。"]),
    "道路交通": ("区交通局", ["{a}路面坑洼破损，雨天积水。", "{a}路口信号灯故障。"]),
}  # fmt: skip
HOTLINE_TYPES = {"投诉": 40, "求助": 25, "咨询": 15, "建议": 10, "举报": 10}
HOTLINE_CHANNELS = {"12345热线": 50, "电话": 20, "微信": 15, "网上": 15}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = ["建国", "秀英", "志强", "丽华", "晓燕", "海波", "桂兰", "明辉", "雪梅", "俊杰"]


def _cn_date(value: datetime) -> str:
    return f"{value.year}年{value.month}月{value.day}日 {value.hour}:{value.minute:02d}"


def _slash_date(value: datetime) -> str:
    return f"{value.year}/{value.month}/{value.day} {value.hour}:{value.minute:02d}"


def hotline_rows() -> list[dict]:
    """The 12345 export's rows as dicts (times as datetimes), shared by the CSV and the xlsx."""
    rng = random.Random(12345)
    rows = []
    for i in range(80):
        street = rng.choice(list(HOTLINE_PLACES))
        community = rng.choice(list(HOTLINE_PLACES[street]))
        road = rng.choice(HOTLINE_PLACES[street][community])
        category = rng.choice(list(HOTLINE_CATEGORIES))
        unit, texts = HOTLINE_CATEGORIES[category]
        address = f"{street}{road}{rng.randrange(1, 300)}号{rng.randrange(1, 20)}栋"
        called = _between(rng, T(2025, 3, 1, 7), T(2025, 5, 31, 22)).replace(second=0)
        kind = _pick(rng, HOTLINE_TYPES)
        channel = _pick(rng, HOTLINE_CHANNELS)
        status = _pick(rng, {"已办结": 80, "办理中": 12, "待回访": 8})
        if i == 0:
            called, channel, kind, status = T(2025, 3, 4, 8, 15), "电话", "投诉", "已办结"
            street, community, category = "龙湾街道", "滨江社区", "噪音扰民"
            unit, texts = HOTLINE_CATEGORIES[category]
            address = "龙湾街道滨江路88号3栋"
        elif i == 1:
            called, channel, kind = T(2025, 3, 4, 9, 2), "微信", "咨询"
        elif i == 2:
            channel, kind, status = "网上", "求助", "办理中"
        elif i == 3:
            channel = "12345热线"
        accepted = called + timedelta(minutes=rng.randrange(2, 30))
        dispatched = accepted + timedelta(minutes=rng.randrange(5, 240))
        closed = (
            dispatched + timedelta(minutes=rng.randrange(60, 60 * 24 * 6))
            if status != "办理中"
            else None
        )
        if i == 0:
            accepted, dispatched = T(2025, 3, 4, 8, 20), T(2025, 3, 4, 8, 40)
            closed = T(2025, 3, 6, 16, 30)
        rated = status == "已办结"
        content = rng.choice(texts).format(a=address)
        if i == 5:
            content = f"{address}反映两件事,一是路灯不亮,\n二是井盖松动。"  # ASCII comma + newline
        rows.append({
            "序号": i + 1,
            "工单编号": f"YX{called:%Y%m%d}{i + 1:05d}",
            "来电时间": called,
            "受理时间": accepted,
            "派单时间": dispatched,
            "办结时间": closed,
            "办结时限": called + timedelta(days=5 if kind != "咨询" else 1),
            "诉求类型": kind,
            "来源渠道": channel,
            "问题分类": category,
            "所属街道": street,
            "所属社区": community,
            "所属网格": f"第{rng.randrange(1, 5)}网格" if i else "第2网格",
            "承办单位": unit.format(s=street),
            "工单状态": status,
            "满意度": rng.choice(["满意", "满意", "基本满意", "不满意"]) if rated else None,
            "是否解决": rng.choice(["是", "是", "是", "否"]) if rated else None,
            "来电人": rng.choice(SURNAMES) + rng.choice(["先生", "女士", *GIVEN]),
            "联系电话": f"1{rng.choice('3589')}{rng.randrange(10**8, 10**9)}",
            "地址": address,
            "诉求内容": content,
        })  # fmt: skip
    return rows


def _hotline_text(column: str, value, i: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, datetime):
        return str(value)
    if column == "来电时间":
        return _cn_date(value) if i % 2 == 0 else _slash_date(value)
    if column == "受理时间":
        return _slash_date(value)
    if column in ("派单时间", "办结时限"):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return _cn_date(value)  # 办结时间


def write_hotline_csv(path: Path) -> int:
    """A 12345 platform export saved by Chinese Excel as CSV: GB18030, CRLF, a title row."""
    rows = hotline_rows()
    cells = [[_hotline_text(c, r[c], i) for c in HOTLINE_HEADER] for i, r in enumerate(rows)]
    title = [HOTLINE_TITLE] + [""] * (len(HOTLINE_HEADER) - 1)
    _write_csv(path, HOTLINE_HEADER, cells, encoding="gb18030", newline="\r\n", above=[title])
    return len(rows)


def write_hotline_xlsx(path: Path) -> int:
    """The same export as an .xlsx workbook: a merged title row, 来电时间 as date cells."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    rows = hotline_rows()
    book = Workbook()
    sheet = book.active
    sheet.title = "工单明细"
    sheet.append([HOTLINE_TITLE])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HOTLINE_HEADER))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append(HOTLINE_HEADER)
    for i, row in enumerate(rows):
        cells = []
        for column in HOTLINE_HEADER:
            value = row[column]
            if column == "来电时间":
                cells.append(value)  # a real date cell
            elif column == "序号":
                cells.append(value)
            else:
                cells.append(_hotline_text(column, value, i) or None)
        sheet.append(cells)
        sheet.cell(row=sheet.max_row, column=3).number_format = "yyyy/m/d h:mm"
    book.properties.creator = "12345热线平台"
    book.properties.created = book.properties.modified = T(2025, 6, 1, 9, 30)
    buffer = io.BytesIO()
    book.save(buffer)
    _stable_zip(buffer.getvalue(), path)
    return len(rows)


def _stable_zip(data: bytes, path: Path) -> None:
    """The workbook again with fixed entry dates, so that rerunning the script changes nothing."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        entries = [(info.filename, source.read(info)) for info in source.infolist()]
    stamp = b"2025-06-01T09:30:00Z"  # openpyxl writes the time of saving as dcterms:modified
    entries = [
        (name, re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp, content))
        if name == "docProps/core.xml"
        else (name, content)
        for name, content in entries
    ]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries:
            info = zipfile.ZipInfo(name, date_time=(2025, 6, 1, 9, 30, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)


# ================================================================ hostile (small ones)


def write_far_cell_xlsx(path: Path) -> None:
    """A ~5 KB workbook whose one cell is XFD1048576 and whose declared dimension is the whole
    sheet (A1:XFD1048576): a reader that trusts the dimension walks 1.7e10 cells."""
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="工单" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/styles" Target="styles.xml"/></Relationships>'
        ),
        "xl/styles.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
            '<fills count="2"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
            "</borders>"
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
            "</cellStyleXfs>"
            '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            "</cellXfs>"
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
            "</cellStyles></styleSheet>"
        ),
        "xl/worksheets/sheet1.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<dimension ref="A1:XFD1048576"/>'
            '<sheetViews><sheetView workbookViewId="0"/></sheetViews>'
            '<sheetFormatPr defaultRowHeight="15"/>'
            '<sheetData><row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>工单编号</t>'
            "</is></c></row></sheetData>"
            '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
            'footer="0.3"/></worksheet>'
        ),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for name, text in parts.items():
            info = zipfile.ZipInfo(name, date_time=(2025, 6, 1, 9, 30, 0))
            archive.writestr(info, text.encode("utf-8"))


HOSTILE_HEADER = ["工单编号", "来电时间", "诉求类型", "来源渠道", "问题分类", "所属街道",
                  "所属社区", "所属网格", "诉求内容"]  # fmt: skip


def _hostile_rows(n: int) -> list[list[str]]:
    rng = random.Random(7)
    rows = []
    for i in range(n):
        street = rng.choice(list(HOTLINE_PLACES))
        community = rng.choice(list(HOTLINE_PLACES[street]))
        category = rng.choice(list(HOTLINE_CATEGORIES))
        text = rng.choice(HOTLINE_CATEGORIES[category][1]).format(a=f"{street}{community}")
        rows.append([
            f"HX{i + 1:04d}", f"2025/4/{1 + i % 28} {8 + i % 10}:{i % 60:02d}", "投诉",
            "12345热线", category, street, community, f"第{1 + i % 3}网格", text,
        ])  # fmt: skip
    return rows


def write_nul_bytes_csv(path: Path) -> None:
    """A hotline-shaped CSV (~8 KB) with a run of NUL bytes in the middle, past the first 4 KB:
    what a crashed copy or a disk error leaves."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HOSTILE_HEADER)
    writer.writerows(_hostile_rows(60))
    data = out.getvalue().encode("utf-8")
    middle = len(data) // 2
    assert middle > 4096
    path.write_bytes(data[:middle] + b"\x00" * 64 + data[middle:])


def write_gbk_cell_csv(path: Path) -> None:
    """A UTF-8 CSV of 30 rows where row 12's 诉求内容 was pasted in as GBK bytes."""
    rows = _hostile_rows(30)
    lines = [",".join(HOSTILE_HEADER).encode("utf-8")]
    for i, row in enumerate(rows):
        if i == 11:
            row = row[:-1]
            lines.append(",".join(row).encode("utf-8") + b"," + "楼道堆物，无人清理".encode("gbk"))
        else:
            lines.append(",".join(row).encode("utf-8"))
    path.write_bytes(b"\n".join(lines) + b"\n")


def write_features_not_objects(path: Path) -> None:
    """A GeoJSON FeatureCollection whose features are not objects."""
    path.write_text('{"type": "FeatureCollection", "features": [1, "x", null]}\n', "utf-8")


# ================================================================ main

FILES = {
    "nyc311_portal.csv": write_nyc_portal,
    "nyc311_soda.csv": write_nyc_soda_csv,
    "nyc311_soda.json": write_nyc_soda_json,
    "sf311_bigquery.csv": write_sf_bigquery,
    "la_myla311.csv": write_la,
    "boston311.csv": write_boston,
    "open311_georeport.json": write_open311_json,
    "open311_georeport.jsonl": write_open311_jsonl,
    "wenzheng_messages.csv": write_wenzheng,
    "hotline_12345.csv": write_hotline_csv,
    "hotline_12345.xlsx": write_hotline_xlsx,
}
HOSTILE_FILES = {
    "far_cell.xlsx": write_far_cell_xlsx,
    "nul_bytes.csv": write_nul_bytes_csv,
    "gbk_cell.csv": write_gbk_cell_csv,
    "features_not_objects.geojson": write_features_not_objects,
}


def main() -> None:
    HOSTILE.mkdir(exist_ok=True)
    for name, write in FILES.items():
        rows = write(HERE / name)
        print(f"{name}: {rows} rows, {(HERE / name).stat().st_size:,} bytes")
    for name, write in HOSTILE_FILES.items():
        write(HOSTILE / name)
        print(f"hostile/{name}: {(HOSTILE / name).stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
