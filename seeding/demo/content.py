"""Invented content for the demo practice that `seeding.demo` assembles.

Every person, venue, street and meeting here is made up; the towns are real so the map and
distances look right. Clinical text uses person-first language ("a person who uses
alcohol"), and avoids pronouns so any template fits any client.
Placeholders in note text: {name}, {use}, {stage}, {meeting}, {program}.
"""

import random
from typing import NamedTuple

from clients.models import NoteFormat
from clients.models import StageOfChange as Stage

PRACTICE_NAME = "Harbor Light Counseling"
# What a client's inbox shows as the sender: names no treatment, no substance.
PRACTICE_SENDER = "Harbor Light care team"
PRACTICE_TIME_ZONE = "America/New_York"
DEMO_PASSWORD = "bridge-demo-2026"
CONSENT_TEXT = (
    "I agree to receive short reminder emails about meetings I choose. I can stop them at any time."
)
CLIENT_EMAIL_DOMAINS = ("example.com", "example.net", "example.org")

MANAGER = ("Morgan Ellis", "morgan.ellis@harborlight.example")
ADMIN = ("Priya Natarajan", "priya.natarajan@harborlight.example")
THERAPISTS = (
    ("Dana Reyes", "dana.reyes@harborlight.example", "dap"),
    ("Samuel Okafor", "samuel.okafor@harborlight.example", "soap"),
    ("Lena Brandt", "lena.brandt@harborlight.example", "birp"),
)


class Profile(NamedTuple):
    name: str
    therapist: int  # index into THERAPISTS
    # warming | slow | stuck | steady | relapse | drifted | completed | disengaged | new
    arc: str
    step: int  # the highest ladder step the story reaches
    substances: tuple[str, ...]
    themes: tuple[tuple[str, int], ...]  # (theme slug, intensity at intake)
    programs: tuple[str, ...]  # program keys, preferred first
    codes: tuple[str, ...] = ()  # Meeting Guide codes a fitting meeting should have
    consent: str = ""  # "" | "yes" | "withdrawn"
    notes: str = ""


FJ, GT, SA, DN = "fear-of-judgment", "earlier-group-trauma", "social-anxiety", "denial-do-it-alone"
TS, PB = "twelve-step-spirituality", "practical-barriers"
PE, IM = "privacy-exposure", "identity-mismatch"
AG, CM = "abstinence-goal-disagreement", "co-occurring-mental-health"
MS, PF = "medication-treatment-stigma", "previous-poor-fit"

# One line per client reads as a caseload; keep the formatter from unrolling it.
# fmt: off
P = Profile
CLIENTS = (
    # Dana Reyes
    P("Jordan M.", 0, "warming", 6, ("alcohol",), ((FJ, 3), (SA, 2)), ("AA",), consent="yes",
      notes="Referred by primary care after raised liver enzymes. Works in a boatyard."),
    P("Alex P.", 0, "warming", 5, ("opioids",), ((MS, 3), (FJ, 2)), ("NA", "SMART"),
      consent="yes", notes="Stable on buprenorphine through a community clinic."),
    P("Renee K.", 0, "warming", 7, ("alcohol",), ((IM, 3), (GT, 2)), ("WFS", "AA"), ("W",),
      consent="yes", notes="Self-referred. Two teenagers at home; supportive sister."),
    P("Theo B.", 0, "stuck", 1, ("alcohol",), ((DN, 3), (TS, 2)), ("SMART",),
      notes="Court-recommended after an OUI; attends, mostly to 'get the letter'."),
    P("Marisol V.", 0, "slow", 3, ("alcohol",), ((PB, 3), (SA, 2)), ("AA",), ("S",),
      consent="yes", notes="Prefers sessions partly in Spanish. Works two part-time jobs."),
    P("Devon A.", 0, "new", 1, ("cannabis", "alcohol"), ((AG, 2), (DN, 2)), ("SMART",),
      notes="College student; referred by the campus health center."),
    P("Quinn H.", 0, "warming", 8, ("alcohol",), ((IM, 2), (SA, 2)), ("AA",), ("LGBTQ",),
      consent="yes", notes="Moved to Portland last year; small social network here."),
    P("Harold S.", 0, "steady", 8, ("alcohol",), ((PF, 1),), ("AA",), ("SEN",),
      notes="Retired teacher; continuing care after residential treatment."),
    P("Keisha W.", 0, "relapse", 5, ("stimulants",), ((FJ, 3), (CM, 2)), ("CA", "NA"),
      consent="yes", notes="Restaurant manager; long evening shifts."),
    P("Owen F.", 0, "stuck", 2, ("opioids",), ((GT, 3), (PE, 2)), ("NA",), consent="withdrawn",
      notes="Mandated groups in an earlier program were a bad experience."),
    P("Bea L.", 0, "completed", 7, ("alcohol",), ((SA, 2), (FJ, 2)), ("AA", "WFS"), ("W",),
      consent="yes", notes="Referred by employee assistance program."),
    P("Nico R.", 0, "drifted", 4, ("stimulants",), ((PB, 2), (DN, 2)), ("NA",), consent="yes",
      notes="Works rotating shifts at a distribution center; no car."),
    P("Ines C.", 0, "slow", 2, ("benzodiazepines", "alcohol"), ((CM, 3), (SA, 3)), ("SMART",),
      notes="Panic disorder; prescriber coordinates the taper."),
    # Samuel Okafor
    P("Marcus D.", 1, "warming", 6, ("alcohol",), ((PE, 3), (FJ, 2)), ("AA",), ("P",),
      consent="yes", notes="Works in health care; worried about licensing."),
    P("Tessa G.", 1, "warming", 5, ("opioids",), ((MS, 2), (TS, 2)), ("SMART", "NA"),
      consent="yes", notes="On methadone; clinic visits every morning."),
    P("Ray O.", 1, "stuck", 1, ("alcohol",), ((DN, 3), (AG, 3)), ("SMART", "LIFERING"),
      notes="Wants to 'drink like a normal person again'."),
    P("Sofia N.", 1, "new", 2, ("alcohol",), ((SA, 3), (IM, 2)), ("WFS",), ("W",),
      consent="yes", notes="Referred by her primary care clinician."),
    P("Eli T.", 1, "warming", 7, ("stimulants", "alcohol"), ((GT, 2), (TS, 3)), ("RD", "SMART"),
      ("MED",), consent="yes", notes="Practices yoga; drawn to meditation-based groups."),
    P("Carmen J.", 1, "steady", 8, ("alcohol",), (), ("AA",), ("W",), consent="yes",
      notes="Three years of recovery; continuing care for grief."),
    P("Luis E.", 1, "slow", 3, ("opioids",), ((PB, 3), (MS, 2)), ("NA",), consent="yes",
      notes="Lives in Windham; relies on a cousin for rides."),
    P("Ada Q.", 1, "stuck", 2, ("alcohol",), ((CM, 3), (SA, 3)), ("AA",),
      notes="Recurrent depression; agoraphobic on bad days."),
    P("Wes K.", 1, "relapse", 6, ("alcohol",), ((DN, 2), (FJ, 2)), ("AA",), consent="yes",
      notes="Fisherman; seasonal work, hard winters."),
    P("Nadia S.", 1, "drifted", 3, ("cannabis",), ((AG, 3), (SA, 2)), ("SMART", "LIFERING"),
      notes="Graduate student; heavy daily use."),
    P("Gil M.", 1, "disengaged", 2, ("alcohol", "gambling"), ((DN, 3), (PB, 2)), ("AA",),
      notes="Referred by a financial counselor."),
    P("June A.", 1, "warming", 4, ("alcohol",), ((PB, 3), (FJ, 1)), ("AA",), ("W", "CF"),
      consent="yes", notes="Single parent of a toddler; evenings are hard to cover."),
    P("Oscar P.", 1, "new", 1, ("opioids",), ((FJ, 3), (MS, 2)), ("NA",),
      notes="Started buprenorphine last month."),
    P("Hana Y.", 1, "warming", 6, ("alcohol",), ((IM, 3), (CM, 2)), ("AA",), ("Y",),
      consent="yes", notes="Twenty-two; most friends still drink."),
    # Lena Brandt
    P("Tomás R.", 2, "warming", 5, ("alcohol",), ((TS, 3), (FJ, 2)), ("SMART", "LIFERING"),
      consent="yes", notes="Engineer; prefers structured, skills-based approaches."),
    P("Greta H.", 2, "steady", 7, ("alcohol", "benzodiazepines"), ((CM, 1),), ("AA", "WFS"),
      ("W",), notes="Long-standing anxiety; stable on current medication."),
    P("Sam W.", 2, "stuck", 1, ("stimulants",), ((FJ, 3), (GT, 3)), ("NA", "CA"),
      notes="Housing is unstable; staying with a friend."),
    P("Frankie D.", 2, "warming", 7, ("opioids",), ((MS, 3), (SA, 2)), ("NA",), consent="yes",
      notes="On buprenorphine; back at work as a line cook."),
    P("Lionel B.", 2, "slow", 2, ("alcohol",), ((DN, 3), (TS, 2)), ("AA", "SMART"),
      notes="Recently retired; drinking grew after retirement."),
    P("Mina K.", 2, "new", 1, ("alcohol",), ((PE, 3), (SA, 2)), ("SMART",),
      notes="Attorney; very private; pays privately."),
    P("Rosa F.", 2, "warming", 6, ("alcohol",), ((PB, 2), (SA, 2)), ("CR", "AA"),
      consent="yes", notes="Faith matters a great deal; sings in a church choir."),
    P("Dale N.", 2, "stuck", 1, ("alcohol",), ((DN, 3), (AG, 2)), ("AA", "SMART"),
      notes="Came at a spouse's insistence."),
    P("Kit S.", 2, "warming", 8, ("cannabis", "alcohol"), ((IM, 2), (FJ, 2)), ("NA",),
      ("LGBTQ",), consent="yes", notes="Nonbinary; uses they/them."),
    P("Ben O.", 2, "steady", 8, ("opioids",), (), ("NA",), consent="yes",
      notes="Five years in recovery; sponsor to two people."),
    P("Irene V.", 2, "new", 2, ("alcohol",), ((GT, 3), (FJ, 2)), ("WFS", "AA"), ("W",),
      notes="An earlier group experience felt shaming."),
    P("Pat C.", 2, "slow", 3, ("alcohol",), ((AG, 2), (PB, 2)), ("SMART", "LIFERING"),
      consent="yes", notes="Long commute; wants lunchtime options."),
    P("Yusuf A.", 2, "warming", 5, ("alcohol",), ((IM, 2), (TS, 2)), ("SMART", "RD"),
      consent="yes", notes="Keeps drinking private from family."),
)
del P
# fmt: on

# The last N notes of these clients stay drafts, so "unsigned notes" has rows to show.
DRAFT_NOTES = {"Tessa G.": 3, "Rosa F.": 2}

USE_PHRASES = {
    "alcohol": "alcohol use",
    "opioids": "opioid use",
    "stimulants": "stimulant use",
    "cannabis": "cannabis use",
    "benzodiazepines": "benzodiazepine use",
    "nicotine": "nicotine use",
    "gambling": "gambling",
    "other": "substance use",
}
PROGRAM_SHORT = {
    "AA": "AA",
    "NA": "NA",
    "CA": "CA",
    "SMART": "SMART Recovery",
    "RD": "Recovery Dharma",
    "LIFERING": "LifeRing",
    "WFS": "Women for Sobriety",
    "CR": "Celebrate Recovery",
    "ALANON": "Al-Anon",
}

# --- Region: greater Portland, Maine ---------------------------------------------------
# town: (postal code, latitude, longitude)
TOWNS = {
    "Portland": ("04101", 43.6591, -70.2568),
    "South Portland": ("04106", 43.6415, -70.2409),
    "Westbrook": ("04092", 43.6770, -70.3712),
    "Falmouth": ("04105", 43.7295, -70.2420),
    "Cape Elizabeth": ("04107", 43.5637, -70.2000),
    "Scarborough": ("04074", 43.5781, -70.3217),
    "Gorham": ("04038", 43.6795, -70.4442),
    "Windham": ("04062", 43.8001, -70.4220),
    "Yarmouth": ("04096", 43.8006, -70.1867),
    "Saco": ("04072", 43.5009, -70.4428),
    "Biddeford": ("04005", 43.4926, -70.4534),
    "Brunswick": ("04011", 43.9145, -69.9653),
}
# (town, venue, street address, wheelchair accessible)
VENUES = (
    ("Portland", "St. Luke's Parish Hall", "143 Lantern Street", True),
    ("Portland", "Back Cove Community Room", "60 Ropewalk Lane", True),
    ("Portland", "First Parish Fellowship Hall", "425 Chapel Row", False),
    ("Portland", "Munjoy Hill Neighborhood Center", "88 Anchor Way", True),
    ("Portland", "Harborview Recovery Clubhouse", "22 Chandler Street", True),
    ("South Portland", "Knightville Grange Hall", "17 Ferry Landing Road", False),
    ("South Portland", "Bethel Lutheran Church, lower hall", "310 Willard Crossing", True),
    ("Westbrook", "Westbrook Community Center, Room B", "5 Mill Race Drive", True),
    ("Westbrook", "Presumpscot Valley Church", "240 Riverbank Road", False),
    ("Falmouth", "Falmouth Congregational Fellowship Room", "19 Meetinghouse Lane", True),
    ("Cape Elizabeth", "Two Lights Chapel", "4 Shore Cliff Road", False),
    ("Scarborough", "Pine Point Library Meeting Room", "71 Marsh Hawk Road", True),
    ("Gorham", "Gorham Grange No. 9", "33 Academy Hill Road", False),
    ("Gorham", "Little Falls Methodist Church", "128 Mill Pond Road", True),
    ("Windham", "Windham Hope Center", "410 Sebago Trail", True),
    ("Yarmouth", "Royal River Friends Meetinghouse", "9 Cider Mill Lane", True),
    ("Saco", "Saco Valley Grace Chapel", "200 Heron Cove Road", True),
    ("Biddeford", "St. Brendan's Hall", "77 Mill Yard Street", True),
    ("Brunswick", "Brunswick Unitarian Fellowship Hall", "12 Bowline Street", True),
    ("Brunswick", "Mere Point Grange", "301 Tidewater Road", False),
)

# (program, name, types, attendance, days, start, minutes, town or None, notes)
# days: letters of the week, U = Sunday ... S = Saturday. One row per weekly meeting day.
# Types follow Meeting Guide; X (wheelchair access) is added from the venue.
# fmt: off
SERIES = (
    ("AA", "Early Risers", "O D", "in_person", "MTWRFS", "06:30", 60, "Portland", ""),
    ("AA", "Back Cove Big Book", "C B", "in_person", "MR", "19:00", 60, "Portland", ""),
    ("AA", "Sunday Morning Serenity", "O SP BRK", "hybrid", "U", "09:00", 90, None, ""),
    ("AA", "Lunch Bunch", "O D", "hybrid", "MTWRF", "12:00", 60, "Portland", ""),
    ("AA", "Keep It Simple", "O BE D", "in_person", "TF", "19:30", 60, None, ""),
    ("AA", "Came to Believe", "C ST", "in_person", "W", "19:00", 90, None, ""),
    ("AA", "Women's Circle of Hope", "C W D", "in_person", "TR", "18:30", 60, None, ""),
    ("AA", "Men's Step Study", "C M ST", "in_person", "MS", "19:00", 60, None, ""),
    ("AA", "Rainbow Group", "O LGBTQ D", "hybrid", "WU", "19:30", 60, "Portland", ""),
    ("AA", "Young People's Group", "O Y D", "in_person", "TF", "20:00", 60, "Portland", ""),
    ("AA", "Freethinkers", "O A D", "online", "MR", "19:00", 60, None, ""),
    ("AA", "Newcomers' Corner", "O BE", "online", "UMTWRFS", "19:00", 60, None, ""),
    ("AA", "Night Owls", "O D", "online", "UMTWRFS", "20:30", 60, None, ""),
    ("AA", "Eleventh Step Meditation", "O 11 MED", "online", "TS", "07:30", 60, None, ""),
    ("AA", "Speaker Night at the Harbor", "O SP", "in_person", "S", "19:30", 90, "Portland",
     "Coffee and dessert after the speaker."),
    ("AA", "Grupo Nueva Esperanza", "O S D", "hybrid", "WU", "19:00", 90, "Portland",
     "Reunión en español."),
    ("AA", "Professionals in Recovery", "C P", "online", "MW", "07:00", 60, None,
     "For doctors, nurses, lawyers and others with professional licenses."),
    ("AA", "Happy Hour Group", "O D", "in_person", "MTWRF", "17:30", 60, "South Portland", ""),
    ("AA", "Saturday Breakfast Speaker", "O BRK SP", "in_person", "S", "08:00", 90, None, ""),
    ("AA", "Sober Seniors", "O SEN D", "in_person", "TR", "10:00", 60, "Falmouth", ""),
    ("AA", "Candlelight Group", "C CAN D", "in_person", "F", "20:00", 60, None, ""),
    ("AA", "Moms in Recovery", "C W CF", "hybrid", "WS", "10:00", 60, "Westbrook",
     "Children welcome; toys in the corner."),
    ("AA", "Twelve and Twelve", "C 12x12 ST", "in_person", "R", "19:00", 60, None, ""),
    ("AA", "Daily Reflections", "O DR", "online", "MTWRF", "07:00", 60, None, ""),
    ("AA", "Tradition Study", "C TR", "in_person", "U", "18:00", 60, None, ""),
    ("AA", "Living Sober", "O LS BE", "hybrid", "TR", "17:30", 60, None, ""),
    ("AA", "Dual Diagnosis Discussion", "O DD D", "online", "MR", "18:00", 60, None, ""),
    ("AA", "Families Welcome", "O BA D", "in_person", "UW", "11:00", 60, "Scarborough",
     "Babysitting in the room next door."),
    ("AA", "People of Color in Recovery", "O POC D", "online", "UT", "19:00", 60, None, ""),
    ("AA", "Grapevine Group", "O GR D", "in_person", "F", "12:00", 60, None, ""),
    ("AA", "Step Sisters", "C W ST", "online", "MR", "20:00", 60, None, ""),
    ("AA", "Brunswick Big Book", "O B", "in_person", "WS", "19:00", 60, "Brunswick", ""),
    ("AA", "Cape Shore Group", "O D", "in_person", "UF", "07:30", 60, "Cape Elizabeth", ""),
    ("AA", "Westbrook Wednesday", "O BE D", "hybrid", "W", "19:30", 60, "Westbrook", ""),
    ("AA", "Gorham Gratitude", "O D", "in_person", "RU", "19:00", 60, "Gorham", ""),
    ("AA", "Windham Welcome", "O BE D", "in_person", "MF", "18:00", 60, "Windham", ""),
    ("AA", "Yarmouth Harbor Group", "C D", "in_person", "TS", "07:00", 60, "Yarmouth", ""),
    ("NA", "Just for Today", "O D", "in_person", "UMTWRFS", "19:00", 60, "Portland", ""),
    ("NA", "Serenity Seekers", "O BE", "hybrid", "MWF", "12:00", 60, None, ""),
    ("NA", "Miracles at the Harbor", "C D", "in_person", "TR", "19:30", 60, None, ""),
    ("NA", "New Beginnings", "O BE", "online", "UMTWRFS", "20:00", 60, None, ""),
    ("NA", "Sisters in Recovery", "C W", "in_person", "MR", "18:30", 60, None, ""),
    ("NA", "Men's Freedom Group", "C M ST", "in_person", "W", "19:00", 60, None, ""),
    ("NA", "Basic Text Study", "C LIT ST", "in_person", "UW", "18:00", 60, None, ""),
    ("NA", "Lighthouse Speaker Meeting", "O SP", "hybrid", "S", "19:00", 90, None, ""),
    ("NA", "Young and Free", "O Y", "hybrid", "F", "19:00", 60, None, ""),
    ("NA", "Many Paths", "O BE D", "online", "TR", "18:00", 60, None,
     "People on medication for opioid use disorder are welcome here."),
    ("NA", "Out and Recovering", "O LGBTQ", "online", "U", "19:00", 60, None, ""),
    ("NA", "Morning Meditation", "O MED", "online", "MTWRFS", "07:00", 60, None, ""),
    ("NA", "Saco River Group", "O D", "in_person", "TS", "19:00", 60, "Saco", ""),
    ("NA", "Grupo Libertad", "O S", "in_person", "F", "19:30", 60, "Biddeford", ""),
    ("NA", "Step Working Guide Study", "C ST", "online", "UW", "20:00", 60, None, ""),
    ("NA", "Brunswick Unity", "O D", "in_person", "MR", "19:00", 60, "Brunswick", ""),
    ("NA", "Westbrook Hope", "O BE", "in_person", "SU", "12:00", 60, "Westbrook", ""),
    ("NA", "Rainbow Recovery NA", "O LGBTQ D", "hybrid", "W", "18:30", 60, "Portland", ""),
    ("SMART", "SMART Recovery Portland", "O A D", "in_person", "TR", "18:30", 90, "Portland", ""),
    ("SMART", "SMART Online: Tools for Change", "O A D", "online", "MWFS", "12:00", 60, None, ""),
    ("SMART", "SMART South Portland", "O A", "hybrid", "W", "19:00", 90, "South Portland", ""),
    ("SMART", "SMART Family & Friends", "O", "online", "U", "19:00", 60, None,
     "For people who love someone who uses alcohol or drugs."),
    ("SMART", "SMART Evening Check-in", "O A BE", "online", "MTR", "20:00", 60, None, ""),
    ("SMART", "SMART Recovery Brunswick", "O A", "in_person", "M", "18:00", 90, "Brunswick", ""),
    ("SMART", "SMART Women's Meeting", "O W A", "online", "WU", "10:00", 60, None, ""),
    ("SMART", "SMART Recovery Biddeford", "O A", "in_person", "SR", "11:00", 90, "Biddeford", ""),
    ("ALANON", "Hope for Today", "C D", "in_person", "MR", "19:00", 60, None, ""),
    ("ALANON", "Courage to Change", "C D", "hybrid", "T", "19:00", 60, None, ""),
    ("ALANON", "One Day at a Time", "C", "online", "MTWRF", "12:00", 60, None, ""),
    ("ALANON", "Serenity by the Sea", "C", "in_person", "S", "09:30", 60, "Cape Elizabeth", ""),
    ("ALANON", "Adult Children Step Study", "C ST", "online", "WU", "19:30", 60, None, ""),
    ("ALANON", "Parents Group", "C D", "in_person", "R", "18:30", 60, None, ""),
    ("RD", "Recovery Dharma Casco Bay Sangha", "O MED", "in_person", "MR", "19:00", 90,
     "Portland", "Cushions and chairs provided."),
    ("RD", "Recovery Dharma Online: Sitting Together", "O MED", "online", "UMTWRFS", "07:30",
     60, None, ""),
    ("RD", "Recovery Dharma Saco", "O MED BE", "hybrid", "U", "17:00", 90, "Saco", ""),
    ("CA", "Hope Rising", "O D", "in_person", "TF", "19:00", 60, "Portland", ""),
    ("CA", "CA Big Book Study", "C B", "hybrid", "U", "18:30", 60, None, ""),
    ("CA", "CA Online Newcomers", "O BE", "online", "MWS", "20:00", 60, None, ""),
    ("CA", "Saturday Night Alive", "O SP", "in_person", "S", "19:30", 90, None, ""),
    ("CA", "CA Women's Group", "C W", "online", "R", "19:00", 60, None, ""),
    ("LIFERING", "LifeRing Casco Bay", "O A D", "in_person", "W", "18:30", 60, "Portland", ""),
    ("LIFERING", "LifeRing Online: Sober Self", "O A D", "online", "MTRS", "19:00", 60, None,
     ""),
    ("LIFERING", "LifeRing Gorham", "O A", "hybrid", "U", "10:00", 60, "Gorham", ""),
    ("LIFERING", "LifeRing Lunchtime", "O A", "online", "WF", "12:00", 60, None, ""),
    ("WFS", "WFS New Life Group", "C W", "in_person", "T", "18:00", 90, "Portland", ""),
    ("WFS", "WFS Online Circle", "C W", "online", "MWFU", "19:00", 60, None, ""),
    ("WFS", "WFS Falmouth", "C W", "hybrid", "R", "10:00", 60, "Falmouth", ""),
    ("WFS", "WFS Morning Coffee", "C W", "online", "TS", "09:00", 60, None, ""),
    ("CR", "Celebrate Recovery at Grace Chapel", "O SP D CF", "in_person", "F", "18:30", 90,
     "Saco", "Dinner at 6; childcare for ages 0-12."),
    ("CR", "Celebrate Recovery Westbrook", "O D", "in_person", "M", "18:30", 90, "Westbrook",
     ""),
    ("CR", "Celebrate Recovery Online", "O D", "online", "TR", "19:00", 60, None, ""),
    ("CR", "CR Women's Step Study", "C W ST", "in_person", "W", "18:30", 60, None, ""),
)
# fmt: on
ONLINE_NOTES = (
    "Passcode is given in the waiting room.",
    "Cameras optional; first names only.",
    "Join a few minutes early; the host admits people from the waiting room.",
)

# --- Session note text -----------------------------------------------------------------
# phase -> section kind -> variants.
PHASES: dict[str, dict[str, tuple[str, ...]]] = {
    "intake": {
        "report": (
            "Intake session. {name} described {use} that has grown over the past two years "
            "and came in at the urging of a partner and a primary care clinician.",
            "{name} described {use} as 'the one thing that still works' for stress and sleep, "
            "and also named worries about health and work.",
            "Intake session. Reviewed the history of {use}, earlier attempts to cut back, and "
            "what prompted {name} to reach out now.",
        ),
        "observed": (
            "Arrived on time; guarded at first and more open by the end. Speech normal in rate; "
            "mood described as 'flat'; affect congruent. Denied thoughts of self-harm.",
            "Alert and oriented; fidgeted early on; good eye contact once the conversation "
            "turned to family. No safety concerns identified.",
        ),
        "assessment": (
            "Presents in the {stage} stage regarding {use}. Ambivalence is clear and workable; "
            "support network is thin.",
            "In the {stage} stage. Strengths: employment, a supportive sibling, humor. Risks: "
            "isolation in the evenings.",
        ),
        "intervention": (
            "Completed intake assessment with open questions and reflective listening; "
            "introduced the range of community supports without asking for a commitment.",
            "Reviewed confidentiality and its limits; explored values; with permission, "
            "described 12-step and secular mutual-help options.",
        ),
        "response": (
            "{name} asked how online meetings work while stating no plans to attend anything yet.",
            "Receptive to weekly sessions; skeptical about groups.",
        ),
        "plan": (
            "Weekly individual sessions. Revisit goals next week; no pressure to attend meetings.",
            "Meet weekly; {name} will notice when urges show up and what helps.",
        ),
        "next": (
            "Notice when urges come up this week and what was happening.",
            "Read the one-page handout on meeting options, only if curious.",
        ),
    },
    "resistant": {
        "report": (
            "{name} said meetings are 'not for someone like me' and described managing {use} "
            "alone this week.",
            "{name} reported a hard week at work and said the idea of a group 'makes my skin "
            "crawl'.",
            "Talked about weekends, when {use} is heaviest, and said cutting back is 'something "
            "I can handle on my own'.",
            "{name} spent most of the session on family stress; returned briefly to {use} at the "
            "end.",
        ),
        "observed": (
            "Arms crossed for much of the session; softened when talking about family.",
            "Brief answers early on; more reflective in the second half.",
            "Mood irritable; affect constricted; no safety concerns voiced.",
        ),
        "assessment": (
            "Remains in the {stage} stage. Resistance to community support is strong; the "
            "working alliance is holding.",
            "Little movement toward groups; ambivalence about {use} itself is more visible, "
            "which is workable.",
        ),
        "intervention": (
            "Rolled with resistance; validated the wish to stay in control; asked permission "
            "before offering information.",
            "Used a decisional balance on {use}; kept the door open to community support "
            "without pushing.",
        ),
        "response": (
            "{name} engaged with the decisional balance and named two costs of {use} unprompted.",
            "Pushed back on the topic of meetings but agreed to keep talking about it.",
        ),
        "plan": (
            "Continue weekly sessions; return to the barriers {name} named, without pressing.",
            "Explore values and goals next week; revisit community options only if {name} "
            "raises them.",
        ),
        "next": (
            "No homework agreed; {name} preferred to 'just think about it'.",
            "Note one moment this week when {use} felt less in control.",
        ),
    },
    "exploring": {
        "report": (
            "{name} asked more about {program} and what a first meeting might be like.",
            "{name} said curiosity about meetings is growing, with the doubts still loud.",
            "Reported looking up online meetings and closing the page before joining.",
        ),
        "observed": (
            "More relaxed posture than in earlier sessions; good eye contact.",
            "Thoughtful, slower speech; some tearfulness when talking about the past year.",
        ),
        "assessment": (
            "Moving within the {stage} stage; resistance softens as specific fears are named.",
            "Growing readiness; practical and emotional barriers both still present.",
        ),
        "intervention": (
            "Reframed 'support' as listening in with the camera off; looked at a few online "
            "meetings together.",
            "Explored the worst and best case of attending once; normalized nervousness.",
        ),
        "response": (
            "{name} picked a meeting to try listening to, 'no promises'.",
            "Said the camera-off option 'makes it thinkable'.",
        ),
        "plan": (
            "Try listening to {meeting}; review how it felt next session.",
            "Keep weekly sessions; look at one more option that fits {name}'s schedule.",
        ),
        "next": (
            "Listen to {meeting} with the camera off, if it feels possible.",
            "Look at the meeting list together next week.",
        ),
    },
    "trying": {
        "report": (
            "{name} described {meeting} as 'less scary than expected'.",
            "Reported sitting near the door at {meeting} and leaving right at the end.",
            "{name} talked about one person's share at {meeting} that 'sounded like my life'.",
        ),
        "report_missed": (
            "{name} was frustrated about missing meetings since the last session.",
            "Talked about what got in the way of meetings this week.",
        ),
        "observed": (
            "Animated when describing the meeting; some anxiety about going back.",
            "Bright affect; speech normal; engaged throughout.",
        ),
        "assessment": (
            "Now in the {stage} stage; early contact with community support is building "
            "confidence.",
            "Progress up the engagement ladder; barriers are being tested against experience.",
        ),
        "intervention": (
            "Reinforced each step taken; problem-solved barriers; rehearsed what to say if "
            "asked to share.",
            "Used scaling questions on confidence; affirmed effort rather than outcome.",
        ),
        "response": (
            "{name} rated confidence at 6 of 10, up from 3.",
            "Agreed that a missed week is information, not failure.",
        ),
        "plan": (
            "Continue {meeting} weekly; talk next time about the next small step.",
            "Keep the weekly plan; check in on attendance next session.",
        ),
        "next": (
            "Go to {meeting} again this week.",
            "Arrive five minutes early to {meeting} and say hello to one person.",
        ),
    },
    "engaged": {
        "report": (
            "{name} described a good week, with {meeting} as a fixed point in the routine.",
            "Talked about sharing briefly at {meeting} and how it felt afterward.",
            "{name} has been calling a peer from {meeting} between meetings.",
        ),
        "report_missed": (
            "{name} had a hard stretch and did not get to meetings; called a peer instead.",
        ),
        "observed": (
            "Relaxed, warm, humorous; affect full range.",
            "Calm and reflective; speaks about recovery with more ownership.",
        ),
        "assessment": (
            "Solid {stage} stage; community support is now a real part of {name}'s recovery.",
            "Steady engagement; recovery capital growing (peer support, routine, purpose).",
        ),
        "intervention": (
            "Reviewed the relapse-prevention plan; explored what {name} wants from the group next.",
            "Affirmed progress; discussed balancing meetings with family time.",
        ),
        "response": (
            "{name} said the group 'feels like mine now'.",
            "Engaged well and set goals for the coming weeks.",
        ),
        "plan": (
            "Sessions every two weeks while things stay steady; keep {meeting}.",
            "Continue the current plan; review the relapse-prevention plan monthly.",
        ),
        "next": (
            "Keep going to {meeting}; call the peer contact once this week.",
            "Consider a service role at {meeting} when it feels right.",
        ),
    },
    "lapse": {
        "report": (
            "{name} reported a lapse after a stressful weekend; shame made going back to meetings "
            "feel impossible.",
            "Disclosed a return to {use} on two days this week, after a family conflict.",
        ),
        "observed": (
            "Tearful, low energy, poor sleep reported; no thoughts of self-harm; safety plan "
            "reviewed.",
            "Quiet and withdrawn; avoided eye contact early in the session.",
        ),
        "assessment": (
            "Lapse in the context of stress and isolation; motivation for recovery intact. "
            "Stepping back on the ladder for now.",
            "A lapse, not a collapse: {name} came to session and told the truth about it, which "
            "is a strength.",
        ),
        "intervention": (
            "Responded without judgment; treated the lapse as information; reviewed triggers "
            "and the relapse-prevention plan.",
            "Validated the shame; went through what happened hour by hour; made the next step "
            "smaller.",
        ),
        "response": (
            "{name} agreed to go back to listening online before returning in person.",
            "Visibly relieved to be met without judgment.",
        ),
        "plan": (
            "Weekly sessions; step back to an online meeting, camera off; phone check-in midweek.",
            "Review safety and relapse-prevention plans; see again in one week.",
        ),
        "next": (
            "Listen to one online meeting this week, camera off.",
            "Reach out to one supportive person before the weekend.",
        ),
    },
    "return": {
        "report": (
            "{name} reported no further use since the lapse and is sleeping better.",
            "Said going back felt awkward, but people 'just said welcome back'.",
            "Talked about rebuilding a routine after the lapse.",
        ),
        "observed": (
            "Brighter than at recent sessions; sleep improving.",
            "Engaged; some residual self-criticism.",
        ),
        "assessment": (
            "Recovering well from the lapse; back in the {stage} stage.",
            "Regaining ground on the ladder; self-compassion is growing.",
        ),
        "intervention": (
            "Affirmed the return; explored what helped; added early warning signs to the "
            "relapse-prevention plan.",
            "Reviewed early warning signs; role-played asking a peer for support.",
        ),
        "response": (
            "{name} named stress and isolation as the early warning signs to watch.",
            "Agreed to keep the online meeting for now.",
        ),
        "plan": (
            "Continue weekly; plan a return to an in-person meeting.",
            "Keep the current meeting plan; review progress in two weeks.",
        ),
        "next": ("Go to {meeting} this week.", "Text one peer from the group before the weekend."),
    },
    "drifting": {
        "report": (
            "{name} arrived late and said work has been 'crazy'; missed {meeting} twice.",
            "Said meetings have 'slipped' and sessions are harder to fit in.",
            "Reported more {use} than last month, minimizing at first.",
        ),
        "observed": (
            "Tired and distracted; checked phone several times.",
            "Flat affect; less engaged than usual.",
        ),
        "assessment": (
            "Signs of drifting: missed meetings, ambivalence returning. Risk of disengagement.",
        ),
        "intervention": (
            "Named the pattern gently; explored what changed; offered a smaller, easier step.",
        ),
        "response": ("{name} agreed the pattern is real but did not commit to a change.",),
        "plan": (
            "Offer a phone check-in; keep the door open; outreach if the next session is missed.",
        ),
        "next": ("Try one online meeting this week, any time that fits.",),
    },
    "closing": {
        "report": (
            "Final session. {name} reflected on the past months: a home group, a sponsor, and a "
            "steady routine.",
        ),
        "observed": ("Relaxed and proud; affect bright.",),
        "assessment": (
            "In the {stage} stage; treatment goals met; strong community support in place.",
        ),
        "intervention": (
            "Reviewed progress and the relapse-prevention plan; discussed how to "
            "come back if needed.",
        ),
        "response": ("{name} said it feels good to leave 'with a community, not just a plan'.",),
        "plan": (
            "Discharge from individual therapy; aftercare through the home group; door "
            "open to return.",
        ),
        "next": ("Keep going to {meeting}; call the practice any time.",),
    },
}

# theme slug -> (what the client voiced, what the therapist did about it)
THEME_TEXT: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    FJ: (
        (
            "Worried about being seen at a meeting and carrying a label at work.",
            "Said 'I'm not like the people there', then wondered aloud whether that was fear.",
        ),
        (
            "Explored what the label would mean; noted that nobody has to call themselves anything "
            "in a meeting.",
            "Suggested an online meeting, first name only.",
        ),
    ),
    GT: (
        (
            "Described a group in an earlier program where a share was mocked.",
            "Said groups bring back feeling 'put on the spot' in a mandated program years ago.",
        ),
        (
            "Validated the earlier experience and separated it from the range of groups now.",
            "Agreed on an exit plan for any meeting: leaving early is always allowed.",
        ),
    ),
    SA: (
        (
            "Said the thought of speaking in a room 'is unbearable'.",
            "Described a racing heart when imagining walking in late.",
        ),
        (
            "Clarified that listening without sharing is normal and welcome.",
            "Practised a breathing routine for the walk from the car to the door.",
        ),
    ),
    DN: (
        (
            "Insisted that willpower is enough: 'I did it before.'",
            "Said needing a group would mean 'I really have a problem.'",
        ),
        (
            "Reviewed past attempts to cut back alone, without judgment.",
            "Explored what support has looked like in other hard times.",
        ),
    ),
    TS: (
        (
            "Objected to 'the God stuff' and the idea of powerlessness.",
            "Said the prayer at the end of meetings feels hypocritical.",
        ),
        (
            "Offered secular options: SMART Recovery, LifeRing and secular AA meetings.",
            "Discussed the many ways people read 'higher power', including the group itself.",
        ),
    ),
    PB: (
        (
            "Named shift work and no car as the main obstacles.",
            "Said childcare in the evenings makes meetings hard to reach.",
        ),
        (
            "Looked for meetings near a bus line and at lunch hour.",
            "Found online and daytime options, including one with childcare.",
        ),
    ),
    PE: (
        (
            "Worried about being seen by a colleague or someone from work.",
            "Concerned about professional licensing if anyone found out.",
        ),
        (
            "Discussed anonymity traditions and closed meetings; looked at a professionals' "
            "meeting.",
            "Reviewed what the practice shares and what it never shares.",
        ),
    ),
    IM: (
        (
            "Said the one meeting tried before was 'a room full of people nothing like me'.",
            "Wants a group where identity does not have to be explained first.",
        ),
        (
            "Looked at women's, LGBTQ+, young people's and language-specific meetings together.",
            "Validated the wish to belong; explored what 'people like me' would look like.",
        ),
    ),
    AG: (
        (
            "Said the goal is to cut down, not to stop entirely.",
            "Pushed back on 'all or nothing' messages from a family member.",
        ),
        (
            "Respected the stated goal; discussed tracking use and groups open to different goals.",
            "Described SMART Recovery, which welcomes people still deciding on goals.",
        ),
    ),
    CM: (
        (
            "Described low mood and panic that make leaving the house hard some days.",
            "Said depression 'eats the energy' needed to try a meeting.",
        ),
        (
            "Coordinated with the prescriber (with consent); paced the ladder with mood.",
            "Looked at an online dual-diagnosis meeting.",
        ),
    ),
    MS: (
        (
            "Worried that people at meetings would say medication 'isn't real recovery'.",
            "Heard from a friend that some groups frown on medication.",
        ),
        (
            "Affirmed medication as a valid recovery pathway; looked for groups that welcome it.",
            "Noted that meetings differ and named groups known to welcome people on medication.",
        ),
    ),
    PF: (
        (
            "Described an earlier sponsor who was controlling.",
            "Said a previous group 'felt like a clique'.",
        ),
        (
            "Normalized trying several groups; discussed choosing a sponsor slowly.",
            "Planned to visit a few groups once each before choosing.",
        ),
    ),
}

CRAVING_LINES = (
    "Reported cravings in the evenings after work; used urge surfing and a walk.",
    "Cravings spiked at a family gathering; left early and called a friend.",
    "Noted cravings when passing an old route home; took a different road.",
)
# Missed-meeting reasons as they read in a note.
REASON_PHRASES = {
    "anxious": "felt too anxious to go",
    "schedule": "a schedule clash",
    "transport": "had no ride",
    "not_ready": "did not feel ready",
    "other": "something came up",
}
ATTENDANCE_NOTES = {
    "attended": (
        "Stayed for coffee afterwards.",
        "Camera off; listened to the whole meeting.",
        "Sat near the door.",
        "Introduced self by first name.",
    ),
    "missed": ("Texted the practice that evening.", "Fell asleep after a double shift."),
    "skipped": ("Family visit that week.", "Chose a quiet night in."),
}

# Ladder comments per step; {meeting} is the meeting the client was going to.
LADDER_UP = {
    1: (
        "Talked through the options: 12-step and secular groups, online and in person.",
        "Shared the meeting list and a handout on what to expect.",
    ),
    2: (
        "Listened to {meeting} with camera off; 'less scary than expected'.",
        "Listened in online for the first time, first name only.",
    ),
    3: (
        "Joined {meeting} with camera on for part of it.",
        "Stayed to the end of {meeting}, camera on.",
    ),
    4: (
        "Went to {meeting} in person and sat near the door.",
        "First in-person meeting: {meeting}; left right after.",
    ),
    5: (
        "Swapped numbers with a peer from {meeting}.",
        "Has one peer from the group to call between meetings.",
    ),
    6: (
        "Shared briefly at {meeting} for the first time.",
        "Said a few words at {meeting}; felt 'shaky but glad'.",
    ),
    7: ("Four weeks in a row at {meeting}.", "A meeting every week for a month."),
    8: (
        "Calls {meeting} a home group and has a sponsor.",
        "Took a service role at {meeting}: setting up chairs.",
    ),
}
LADDER_DOWN = (
    "Stepped back after a lapse; listening online for now. No blame, a smaller step.",
    "After a lapse and missed weeks, agreed to start again from online listening.",
)
LADDER_ALREADY = "Already going to community meetings before intake."


# --- Story shapes ------------------------------------------------------------------------
# Each arc is a function of p, the share of the client's story elapsed (0 at intake, 1 today).
# warming: barriers fade, the ladder climbs, the stage advances. slow: the same, smaller.
# stuck: the same barriers at full strength, the ladder flat at 1-2. steady: in maintenance
# from the start. relapse: climbs, lapses, steps down, climbs again. drifted: climbs, then
# sessions and meetings stop. completed / disengaged: discharged. new: a few weeks only.


def ladder_keyframes(arc: str, peak: int, rng: random.Random) -> list[tuple[float, int]]:
    """(p, ladder step) points of an arc; `peak` is the highest step it reaches."""

    def spread(first: int, last: int, begin: float, width: float) -> list[tuple[float, int]]:
        span = max(last - first, 1)
        return [
            (begin + width * (s - first) / span + rng.uniform(-0.03, 0.03), s)
            for s in range(first, last + 1)
        ]

    if arc == "warming":
        return [(0.0, 1), *spread(2, peak, 0.12, 0.7)]
    if arc == "slow":
        return [(0.0, 1), *spread(2, peak, 0.35, 0.4)]
    if arc in ("stuck", "disengaged", "new"):
        when = 0.6 if arc == "new" else 0.25 + rng.uniform(0, 0.1)
        return [(0.0, 1)] + ([(when, 2)] if peak >= 2 else [])
    if arc == "steady":
        return [(0.0, peak - 1), (0.45 + rng.uniform(-0.05, 0.05), peak)]
    if arc == "completed":
        return [(0.0, 3), *spread(4, peak, 0.08, 0.55)]
    if arc == "drifted":
        return [(0.0, 1), *spread(2, peak, 0.1, 0.35)]
    # relapse: the first step down is the lapse; the climb back stops short of the old peak.
    return [(0.0, 1), *spread(2, peak, 0.06, 0.4), *spread(peak - 3, peak - 1, 0.55, 0.32)]


def stage_at(arc: str, p: float, lapse_p: float, denial: bool) -> str:
    ambivalent = Stage.PRECONTEMPLATION if denial else Stage.CONTEMPLATION
    if arc == "warming":
        return Stage.CONTEMPLATION if p < 0.12 else Stage.PREPARATION if p < 0.35 else Stage.ACTION
    if arc == "slow":
        return Stage.CONTEMPLATION if p < 0.5 else Stage.PREPARATION
    if arc == "steady":
        return Stage.MAINTENANCE
    if arc == "completed":
        return Stage.ACTION if p < 0.4 else Stage.MAINTENANCE
    if arc == "relapse":
        if p < 0.08:
            return Stage.CONTEMPLATION
        return Stage.PREPARATION if lapse_p <= p < lapse_p + 0.15 else Stage.ACTION
    if arc == "drifted":
        return Stage.PREPARATION if p < 0.15 else Stage.ACTION if p < 0.55 else ambivalent
    return ambivalent


def theme_weight(arc: str, p: float, lapse_p: float) -> float:
    """How strongly the client's barriers still speak (1 = as at intake)."""
    if arc == "warming":
        return max(0.0, 1 - 1.2 * p)
    if arc == "slow":
        return 1 - 0.4 * p
    if arc == "steady":
        return 0.35
    if arc == "completed":
        return max(0.0, 0.6 - 0.8 * p)
    if arc == "drifted":
        return 1 - 0.8 * p if p < 0.5 else 0.8
    if arc == "relapse":
        if p < lapse_p:
            return max(0.0, 1 - 1.5 * p)
        return 1.0 if p < lapse_p + 0.15 else max(0.2, 0.9 - 1.5 * (p - lapse_p - 0.15))
    return 1.0


def attend_chance(arc: str, p: float, step: int, lapse_p: float, discharged: bool) -> float:
    """The chance of going to a planned meeting: higher up the ladder, lower when it wobbles."""
    if arc in ("stuck", "disengaged"):
        return 0.1 if discharged and p > 0.5 else 0.35
    if arc == "relapse" and lapse_p - 0.07 <= p < lapse_p + 0.06:
        return 0.1
    if arc == "drifted" and p > 0.58:
        return 0.12
    return {1: 0.4, 2: 0.55, 3: 0.65, 4: 0.72, 5: 0.8, 6: 0.85, 7: 0.9, 8: 0.93}[step]


CRAVING_CHANCE = {
    "intake": 0.5,
    "resistant": 0.35,
    "exploring": 0.3,
    "trying": 0.25,
    "engaged": 0.1,
    "lapse": 1.0,
    "return": 0.35,
    "drifting": 0.5,
    "closing": 0.0,
}


def note_sections(fmt: str, part: dict[str, str]) -> dict[str, str]:
    """Lay the parts of a session out in the sections of the note's format."""
    if fmt == NoteFormat.SOAP:
        return {
            "subjective": part["body"],
            "objective": part["observed"],
            "assessment": part["assessment"],
            "plan": f"{part['intervention']} {part['plan']}",
        }
    if fmt == NoteFormat.BIRP:
        return {
            "behavior": f"{part['observed']} {part['body']}",
            "intervention": part["intervention"],
            "response": part["response"],
            "plan": part["plan"],
        }
    if fmt == NoteFormat.DAP:
        return {
            "data": f"{part['body']} {part['intervention']}",
            "assessment": f"{part['assessment']} {part['response']}",
            "plan": part["plan"],
        }
    return {"note": f"{part['short']} {part['intervention']} {part['plan']}"}
