"""Seed the built-in resistance themes (practice=None).

The data lives inline so this migration stays frozen: it must not import app code.
Practices add their own themes as rows with their practice set; those are never touched here.

meeting_features uses a closed vocabulary:
  attendance:online | attendance:in_person | attendance:hybrid
  type:<Meeting Guide type code>
  program:<AA|NA|CA|SMART|RD|LIFERING|WFS|CR|ALANON> | program:secular (any non-12-step program)
"""

from django.db import migrations

THEMES = (
    {
        "slug": "fear-of-judgment",
        "name": "Fear of judgment or labels",
        "description": (
            "The client worries that going to a meeting means being seen, or seeing themselves, as "
            'an "alcoholic" or an "addict," and dreads the shame and stigma those words can carry. '
            'They may say "I\'m not like those people" or "I don\'t want that label following me '
            'around." Underneath there is often a wish to be seen as a whole person rather than a '
            "problem."
        ),
        "questions": [
            "What comes to mind when you picture yourself walking into a meeting?",
            (
                "What do you imagine people there would think of you, and what would you think of "
                "yourself?"
            ),
            "Which words for what you're going through feel accurate to you, and which feel wrong?",
        ],
        "reframes": [
            (
                "In most meetings no one has to call themselves anything; many people just give a "
                'first name or say "I\'m just listening today."'
            ),
            (
                "You could start with an online meeting, camera off and first name only, and "
                "simply notice how people there talk about themselves."
            ),
            (
                "Newcomer meetings exist for people who aren't sure yet whether they belong, so "
                "being unsure is expected there."
            ),
            (
                "Some programs, such as SMART Recovery, avoid labels altogether and focus on "
                "skills and choices."
            ),
        ],
        "meeting_features": [
            "attendance:online",
            "type:BE",
            "program:SMART",
            "program:LIFERING",
        ],
        "position": 1,
    },
    {
        "slug": "earlier-group-trauma",
        "name": "Trauma from earlier group experiences",
        "description": (
            "The client had a painful experience in a group before, such as a confrontational "
            "treatment group, being shamed or pressured in a meeting, or unwanted attention or a "
            'boundary violation from another member. They may say "I tried that, never again," and '
            "the thought of returning can bring back real fear. Their caution is protective and "
            "deserves respect rather than persuasion."
        ),
        "questions": [
            (
                "Only as much as you're comfortable sharing: what happened in that group, and what "
                "was hardest about it?"
            ),
            "What would a group need to have, or not have, for you to feel even a little safer?",
            (
                "What early signs would tell you a group isn't right for you, so you know when to "
                "leave?"
            ),
        ],
        "reframes": [
            (
                "What happened to you was not okay, and putting up with it is not the price of "
                "recovery."
            ),
            (
                "Groups differ a great deal; you get to choose which one, and you can leave any "
                "meeting at any moment."
            ),
            (
                "An online meeting with your camera off, or a speaker meeting where you only "
                "listen, lets you decide how close you get."
            ),
            (
                "A women's or men's meeting, or a different program altogether, can feel very "
                "different from the room where you were hurt."
            ),
        ],
        "meeting_features": [
            "attendance:online",
            "type:SP",
            "type:W",
            "type:M",
            "program:secular",
        ],
        "position": 2,
    },
    {
        "slug": "social-anxiety",
        "name": "Social anxiety / sharing feels unbearable",
        "description": (
            "The client feels intense dread at the idea of speaking, being looked at, or being "
            "called on in front of a group, and may avoid meetings to escape that moment. They may "
            'say "I\'d freeze" or "I could never talk about this in front of strangers." This '
            "names a felt barrier, not a diagnosis; if the anxiety reaches well beyond meetings, "
            "the co-occurring mental health theme may also fit."
        ),
        "questions": [
            (
                "What part of a meeting feels hardest: arriving, being seen, or being expected to "
                "speak?"
            ),
            "What has helped you get through other situations that made you anxious?",
            "What would the smallest, most manageable first step look like for you?",
        ],
        "reframes": [
            (
                'Sharing is optional; in most meetings you can say "I\'ll pass" or "I\'m just '
                'listening today," and that is accepted.'
            ),
            "Listening counts. Many people attend for weeks or months before they say anything.",
            (
                "An online meeting with your camera off and your microphone muted lets you take "
                "part without being seen or heard at all."
            ),
            (
                "Speaker and meditation meetings are built around listening, so there is little "
                "expectation to talk."
            ),
        ],
        "meeting_features": [
            "attendance:online",
            "type:SP",
            "type:MED",
            "type:BE",
        ],
        "position": 3,
    },
    {
        "slug": "denial-do-it-alone",
        "name": 'Denial or "I can do it alone"',
        "description": (
            "The client does not see their substance use as something that needs outside support, "
            "or believes they should manage it through willpower and privacy. They may say \"I've "
            'got this handled" or "I don\'t need a group." In motivational interviewing terms '
            "this is usually ambivalence, and arguing for change tends to strengthen the case "
            "against it; curiosity about the client's own goals works better."
        ),
        "questions": [
            "When you've handled this on your own, what has worked, and where has it been harder?",
            (
                "On a scale from 0 to 10, how important is making a change to you right now, and "
                "why not a lower number?"
            ),
            "If the next few months went the way you hope, what would be different?",
            "What, if anything, would tell you that doing it alone wasn't enough?",
        ],
        "reframes": [
            (
                "You're the one who decides what you need; going to a meeting would be a way to "
                "gather information, not to admit anything."
            ),
            (
                "Plenty of independent people use a group the way they'd use any tool: they take "
                "what's useful and leave the rest."
            ),
            (
                "You don't need to agree that you have a problem to listen to how other people "
                "handled something similar."
            ),
        ],
        "meeting_features": [
            "type:SP",
            "type:O",
            "attendance:online",
            "program:SMART",
        ],
        "position": 4,
    },
    {
        "slug": "twelve-step-spirituality",
        "name": "Objection to 12-step spirituality",
        "description": (
            "The client is put off by references to God, a higher power, prayer, or surrender in "
            "12-step programs, whether because they are not religious, have had painful "
            "experiences with religion, or hold a different faith. They may say \"I'm not going to "
            'pray my way sober" or "It feels like church." The objection is about fit with their '
            "values, not necessarily about whether they want support."
        ),
        "questions": [
            (
                "What have you heard or experienced about the spiritual side of 12-step meetings, "
                "and what part doesn't sit right with you?"
            ),
            (
                "Setting the language aside, is there anything about meeting people working on the "
                "same thing that appeals to you?"
            ),
            "What would a group need to look like to fit your own beliefs and values?",
        ],
        "reframes": [
            (
                "Your beliefs are your own, and there are several paths: SMART Recovery and "
                "LifeRing are secular programs, and many areas have secular AA meetings."
            ),
            (
                'Some people in 12-step groups take "higher power" to mean the group or their own '
                "values; others find that language never fits, and that is okay too."
            ),
            (
                "Choosing a program that matches your values isn't avoiding recovery; it's making "
                "recovery your own."
            ),
        ],
        "meeting_features": [
            "program:SMART",
            "program:LIFERING",
            "program:secular",
            "type:A",
        ],
        "position": 5,
    },
    {
        "slug": "practical-barriers",
        "name": "Practical barriers (transport, schedule, childcare, cost)",
        "description": (
            "Getting to a meeting is genuinely hard: no car or reliable transit, shift work or "
            "irregular hours, children at home, mobility needs, or the cost of travel. The client "
            'may say "I just don\'t have the time" or "There\'s nothing near me." These are real '
            "problems to solve together, while staying curious about whether other concerns sit "
            "underneath them."
        ),
        "questions": [
            "Walk me through a typical week: where might an hour realistically fit?",
            "What would need to be in place for getting to a meeting to feel manageable?",
            "If the logistics were taken care of, how interested would you be in trying a meeting?",
        ],
        "reframes": [
            (
                "Online meetings run at many different hours, including early mornings and late "
                "evenings, so one may fit around work or children."
            ),
            "Most mutual-help meetings don't charge anything; contributions are voluntary.",
            (
                "Some in-person meetings offer childcare or welcome children, and many list "
                "wheelchair access, so we can look for those together."
            ),
            (
                "Sorting out the logistics is real recovery work, not a side issue; we can plan it "
                "step by step."
            ),
        ],
        "meeting_features": [
            "attendance:online",
            "attendance:hybrid",
            "type:BA",
            "type:CF",
            "type:X",
        ],
        "position": 6,
    },
    {
        "slug": "privacy-exposure",
        "name": "Privacy or professional exposure",
        "description": (
            "The client fears being recognized at a meeting by a colleague, patient, customer, "
            "neighbor, or employer, or worries about consequences for a job, a professional "
            "license, or a custody matter. This is common among health care workers, lawyers, "
            "teachers, public figures, and people in small communities. The concerns may be "
            "realistic and deserve an honest, careful conversation rather than reassurance alone."
        ),
        "questions": [
            "Who are you most worried might see you, and what do you imagine would happen then?",
            (
                "What would you need to know about how meetings handle privacy to feel safe enough "
                "to try one?"
            ),
            (
                "Which setting feels safest to you: a meeting in another town, an online meeting, "
                "or a group of people in a similar line of work?"
            ),
        ],
        "reframes": [
            (
                "An online meeting from another city lets you attend where no one is likely to "
                "know you, with a first name or initial and your camera off."
            ),
            (
                "Many groups treat anonymity as a core norm: what you see and hear there stays "
                "there. It is a shared commitment rather than a legal guarantee, so we can talk "
                "through what feels safe enough for you."
            ),
            (
                "Closed meetings are limited to people attending for their own recovery, which "
                "some people find more private."
            ),
            (
                "Some areas have meetings for professionals, where others share the same worries "
                "about their careers."
            ),
        ],
        "meeting_features": [
            "attendance:online",
            "type:C",
            "type:P",
        ],
        "position": 7,
    },
    {
        "slug": "identity-mismatch",
        "name": "Identity mismatch (gender, sexuality, age, language, culture)",
        "description": (
            "The client expects, or has found, that people at meetings won't share or understand "
            "important parts of who they are, such as their gender, sexuality, age, language, "
            'race, culture, or faith. They may say "It\'s all older men" or "No one there would '
            'get my life." Feeling like the only one in the room can make belonging seem out of '
            "reach, and that concern deserves to be taken seriously."
        ),
        "questions": [
            "Which parts of who you are would you most want people in a group to understand?",
            "When you've felt you belonged somewhere, what made that possible?",
            "What would you hope to see or hear in a meeting that would tell you it might fit?",
        ],
        "reframes": [
            (
                "Many areas have meetings for women, LGBTQ+ people, young people, seniors, or "
                "people of color, or in languages other than English, so there may be a room that "
                "fits better."
            ),
            (
                "Some programs, like Women for Sobriety, are built around particular experiences, "
                "and online meetings widen the choice well beyond your local area."
            ),
            (
                "Wanting to be understood is reasonable; looking for the right fit is part of the "
                "process, not a sign of being difficult."
            ),
        ],
        "meeting_features": [
            "type:W",
            "type:LGBTQ",
            "type:Y",
            "type:SEN",
            "type:S",
            "type:POC",
        ],
        "position": 8,
    },
    {
        "slug": "abstinence-goal-disagreement",
        "name": "Disagreement with abstinence-only goals",
        "description": (
            "The client wants to cut down, use more safely, or stop one substance but not another, "
            "and expects that groups will insist on lifelong total abstinence. They may say \"I'm "
            'not ready to quit forever" or "They\'ll say I\'m not really in recovery." The goal '
            "is the client's to set, and since many mutual-help groups are built around "
            "abstinence, it helps to be honest about where they may and may not fit."
        ),
        "questions": [
            "What goal feels right to you for now, and how would you know it's working?",
            (
                "What have you heard about how groups respond to people who aren't aiming for "
                "total abstinence?"
            ),
            (
                "Would it be useful to hear how others think about their goals, even if yours are "
                "different?"
            ),
        ],
        "reframes": [
            "You set your own goals; going to a meeting doesn't commit you to anyone else's.",
            (
                "SMART Recovery meetings generally welcome people who are still deciding on their "
                "goal, and focus on practical tools rather than rules."
            ),
            (
                "Open meetings welcome anyone who is interested, so you could listen without "
                "signing up to someone else's definition of recovery."
            ),
        ],
        "meeting_features": [
            "program:SMART",
            "program:secular",
            "type:O",
            "attendance:online",
        ],
        "position": 9,
    },
    {
        "slug": "co-occurring-mental-health",
        "name": "Co-occurring mental health concerns",
        "description": (
            "The client lives with mental health concerns, such as depression, anxiety, "
            "trauma-related symptoms, or mood swings, alongside substance use, and worries that "
            "groups won't understand, that symptoms will make attending hard, or that they will be "
            'told to stop prescribed medication. They may say "My head is too loud for a room full '
            'of people." Symptoms can fluctuate, so the right amount of contact may change from '
            "week to week."
        ),
        "questions": [
            "How do your symptoms tend to show up in groups or busy places?",
            (
                "On a harder day, what kind of contact with other people, if any, would still feel "
                "possible?"
            ),
            (
                "If a meeting left you feeling worse, how would you want to let me know so we can "
                "adjust?"
            ),
        ],
        "reframes": [
            (
                "Decisions about your prescribed medication stay between you and your prescriber; "
                "if someone at a meeting says otherwise, that's a personal opinion, not a rule."
            ),
            (
                "Some meetings focus on dual diagnosis, where people talk openly about both mental "
                "health and substance use."
            ),
            (
                "Online meetings let you join on days when leaving the house is hard, and leave "
                "quietly if you need to."
            ),
            (
                "Group support is meant to add to your treatment, not replace it, and we'll keep "
                "checking how it affects you."
            ),
        ],
        "meeting_features": [
            "type:DD",
            "attendance:online",
            "type:SP",
            "type:BE",
        ],
        "position": 10,
    },
    {
        "slug": "medication-treatment-stigma",
        "name": "Fear of judgment about medication treatment",
        "description": (
            "The client takes, or is considering, medication for a substance use disorder, such as "
            'buprenorphine, methadone, or naltrexone, and fears being told they are "not really '
            'clean" or being asked not to speak at meetings. Attitudes vary between programs and '
            "between individual groups, so this worry may rest on real experience. Medication is "
            "part of their treatment and should not have to be hidden or defended."
        ),
        "questions": [
            "What have you heard or experienced about how groups treat people who take medication?",
            "How much, if anything, would you want people in a group to know about your treatment?",
            (
                "If someone questioned your medication, what would help you feel steady about your "
                "choice?"
            ),
        ],
        "reframes": [
            (
                "Your medication is a treatment decision between you and your prescriber, and many "
                "people in recovery take it."
            ),
            (
                "You never have to tell a group about your medication; what you share is always "
                "your choice."
            ),
            (
                "SMART Recovery openly welcomes people who use prescribed medication as part of "
                "their recovery."
            ),
            (
                "If a particular group isn't welcoming, that says something about that group, not "
                "about you or your treatment."
            ),
        ],
        "meeting_features": [
            "program:SMART",
            "attendance:online",
        ],
        "position": 11,
    },
    {
        "slug": "previous-poor-fit",
        "name": "Poor fit with an earlier group or sponsor",
        "description": (
            "The client tried a meeting, group, or sponsor before and it did not suit them: the "
            "culture felt cliquey or preachy, the format dragged, or a sponsor was more directive "
            "than they wanted. Unlike trauma from an earlier group, nothing harmful happened, but "
            "one disappointing experience has come to stand for all groups: \"I went once, it's "
            'not for me."'
        ),
        "questions": [
            "What specifically didn't work for you about that group or sponsor?",
            "Was there anything, even something small, that you did find useful?",
            "If you could design a meeting that suited you, what would it be like?",
        ],
        "reframes": [
            (
                "Meetings differ a lot in size, format, and feel, even within one program; one "
                "meeting is a sample, not the whole picture."
            ),
            (
                "Many people try several meetings before one fits, so trying again is a normal "
                "part of the process."
            ),
            (
                "A sponsor is a relationship you choose and can change, and some programs don't "
                "use sponsors at all."
            ),
        ],
        "meeting_features": [
            "attendance:online",
            "type:BE",
            "program:secular",
        ],
        "position": 12,
    },
)


def seed(apps, schema_editor):
    ResistanceTheme = apps.get_model("clients", "ResistanceTheme")
    for theme in THEMES:
        ResistanceTheme.objects.update_or_create(
            practice=None,
            slug=theme["slug"],
            defaults={
                "name": theme["name"],
                "description": theme["description"],
                "questions": list(theme["questions"]),
                "reframes": list(theme["reframes"]),
                "meeting_features": list(theme["meeting_features"]),
                "position": theme["position"],
            },
        )


def unseed(apps, schema_editor):
    ResistanceTheme = apps.get_model("clients", "ResistanceTheme")
    ResistanceTheme.objects.filter(
        practice=None, slug__in=[theme["slug"] for theme in THEMES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("clients", "0002_initial")]

    operations = [migrations.RunPython(seed, unseed)]
