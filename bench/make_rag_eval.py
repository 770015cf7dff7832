"""Writes bench/data/rag_eval.json: the synthetic retrieval evaluation set of this project.

Three personas keep a diary through 2025. Each has distinctive events (people, places,
happenings) among everyday filler entries written from templates (sleep, work, weather,
food, mood) that share their vocabulary and topics, so retrieval has to tell them apart.
Every question is labelled with the entries that answer it, and is one of:
  - "exact":      names a rare word (a person, a place) that the answer contains;
  - "paraphrase": asks by meaning, sharing no rare word with the answer;
  - "dated":      names a month and year ("in June 2025") that bounds the answer.
The file is deterministic: `python bench/make_rag_eval.py` rewrites the same data.
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from pathlib import Path

OUT = Path(__file__).resolve().parent / "data" / "rag_eval.json"
YEAR = 2025

# (date, text, [(question, kind), ...]) for each persona's distinctive events.
PERSONAS: dict[str, list[tuple[str, str, list[tuple[str, str]]]]] = {
    "maya": [
        (
            "2025-01-08",
            "Met Priya at the Vietnamese place on Oxford Road. She told me she got the job in Lisbon and will move in spring. I am happy for her but I will miss her a lot.",
            [
                ("When did Priya tell me about the Lisbon job?", "exact"),
                ("When did my friend say she was moving abroad for work?", "paraphrase"),
            ],
        ),
        (
            "2025-01-21",
            "First climbing session at Rockover gym. Fell off the orange route three times, forearms burning, but the instructor Kofi said my footwork was good.",
            [
                ("How did my first time at Rockover go?", "exact"),
                ("When did I first try bouldering indoors?", "paraphrase"),
            ],
        ),
        (
            "2025-02-03",
            "Biscuit was sick all night, threw up twice. Took her to the vet on Wilmslow Road in the morning, they said it was a hairball.",
            [
                ("What was wrong with Biscuit?", "exact"),
                ("When did my cat need to see a vet?", "paraphrase"),
            ],
        ),
        (
            "2025-02-14",
            "Valentine's day on my own. Made pancakes, watched old films, texted Adaeze. Not sad, just quiet.",
            [
                ("What did I text Adaeze about on Valentine's day?", "exact"),
                ("How did I spend the fourteenth of February alone?", "paraphrase"),
            ],
        ),
        (
            "2025-03-02",
            "Started the shift at Halden's bookshop. Mr Halden showed me the till and the poetry shelves. Smells of old paper and coffee.",
            [
                ("When did I start at Halden's?", "exact"),
                ("When was my first day working at the second-hand book shop?", "paraphrase"),
            ],
        ),
        (
            "2025-03-19",
            "First session with Dr Ines Moreau. We talked about my perfectionism and how I freeze before deadlines. She gave me a worksheet on catastrophic thinking.",
            [
                ("What did Dr Moreau and I talk about in the first session?", "exact"),
                ("When did I begin seeing a therapist?", "paraphrase"),
            ],
        ),
        (
            "2025-04-11",
            "Priya's leaving party. Everyone sang badly at the karaoke bar on Canal Street. Cried in the taxi home.",
            [
                ("When was Priya's leaving party?", "exact"),
                ("When did I say goodbye to my best friend before she emigrated?", "paraphrase"),
            ],
        ),
        (
            "2025-05-06",
            "Sprained my left ankle on the crimp route. The physio, Hamid, said no climbing for four weeks. Annoying timing before exams.",
            [
                ("What did Hamid tell me about my ankle?", "exact"),
                ("When did I injure my foot?", "paraphrase"),
            ],
        ),
        (
            "2025-06-09",
            "Three nights before the statistics exam. Slept maybe four hours, kept dreaming about regression tables. Heart racing at 3am.",
            [
                ("How did I sleep before the statistics exam?", "exact"),
                ("How did I sleep in June 2025?", "dated"),
            ],
        ),
        (
            "2025-06-12",
            "Statistics exam today. The question on logistic regression was hard but I think I passed. Celebrated with chips and a long nap.",
            [
                ("How did the statistics exam go?", "exact"),
                ("When did I take the big maths test at uni?", "paraphrase"),
            ],
        ),
        (
            "2025-07-04",
            "Adaeze's graduation in Leeds. Mum cried, Dad wore his lucky tie. Took a hundred photos on the steps of the Great Hall.",
            [
                ("When was Adaeze's graduation?", "exact"),
                ("When did my sister finish university?", "paraphrase"),
            ],
        ),
        (
            "2025-07-27",
            "Heatwave. Could not sleep, lay on the floor with a wet towel. Biscuit slept in the bathtub all afternoon.",
            [
                ("What did I do during the July 2025 heatwave?", "dated"),
                ("When was it too hot to sleep?", "paraphrase"),
            ],
        ),
        (
            "2025-08-15",
            "Got my results: a 2:1 overall, and a 68 in statistics. Called Mum from the bus. Relief more than joy.",
            [
                ("What mark did I get in statistics?", "exact"),
                ("When did I find out my final grades?", "paraphrase"),
            ],
        ),
        (
            "2025-09-06",
            "Landed in Lisbon to visit Priya. Walked up to the Miradouro da Graça at sunset, ate pastéis de nata until I felt ill.",
            [
                ("When did I visit the Miradouro da Graça?", "exact"),
                ("When did I fly to Portugal to see my friend?", "paraphrase"),
            ],
        ),
        (
            "2025-09-09",
            "Day trip to Sintra with Priya. The Pena palace looked like a cake. Lost my sunglasses on the tram.",
            [("When did I go to Sintra?", "exact"), ("Where did I lose my sunglasses?", "exact")],
        ),
        (
            "2025-10-02",
            "Dr Moreau asked me to write down three things that went well each evening. Today: good coffee, finished a chapter, Biscuit purring.",
            [
                ("What exercise did Dr Moreau give me in October 2025?", "dated"),
                ("When was I asked to keep a gratitude list?", "paraphrase"),
            ],
        ),
        (
            "2025-10-23",
            "Back at Rockover after the ankle. Sent the blue overhang route! Kofi gave me a fist bump.",
            [
                ("When did I climb the blue overhang at Rockover?", "exact"),
                ("When did I return to the climbing wall after getting hurt?", "paraphrase"),
            ],
        ),
        (
            "2025-11-14",
            "Applied for the PhD position with Professor Whitcombe. Wrote the research statement three times. Fingers crossed.",
            [
                ("When did I apply to Professor Whitcombe?", "exact"),
                ("When did I send my doctoral application?", "paraphrase"),
            ],
        ),
        (
            "2025-12-03",
            "Mr Halden gave me a first edition of Mrs Dalloway for Christmas. I nearly cried in the shop.",
            [
                ("What did Mr Halden give me?", "exact"),
                ("When did my boss surprise me with a rare book?", "paraphrase"),
            ],
        ),
        (
            "2025-12-24",
            "Christmas Eve at Mum and Dad's in Stockport. Jollof rice and mince pies on the same table. Adaeze brought her new boyfriend, Callum.",
            [
                ("Who is Callum?", "exact"),
                ("What did we eat at my parents' on Christmas Eve 2025?", "dated"),
            ],
        ),
    ],
    "tom": [
        (
            "2025-01-12",
            "Fourth night shift in a row on Ward 14. A patient, Mr Abernethy, kept asking for his wife who died years ago. Held his hand until he settled.",
            [
                ("What happened with Mr Abernethy?", "exact"),
                ("When did I comfort a confused elderly patient at night?", "paraphrase"),
            ],
        ),
        (
            "2025-01-30",
            "Signed up for the York marathon in October. Sam laughed and said I hate running. Bought proper shoes from Pace Setters.",
            [
                ("When did I sign up for the York marathon?", "exact"),
                ("When did I commit to running 26 miles?", "paraphrase"),
            ],
        ),
        (
            "2025-02-18",
            "Pepper ate a whole bar of dark chocolate. Rushed to the emergency vet at Roundhay at midnight. She is fine, just sick and sorry.",
            [("What did Pepper eat?", "exact"), ("When did my dog get poisoned?", "paraphrase")],
        ),
        (
            "2025-03-07",
            "Mum's hip operation at St James's. Surgeon said it went well. She was bossing the nurses around within an hour, so she is fine.",
            [
                ("When was Mum's hip operation?", "exact"),
                ("When did my mother have joint surgery?", "paraphrase"),
            ],
        ),
        (
            "2025-03-22",
            "Planted broad beans and garlic at the allotment. Gwen from work gave me rhubarb crowns. Back aching from digging.",
            [
                ("What did Gwen give me for the allotment?", "exact"),
                ("When did I sow vegetables in March 2025?", "dated"),
            ],
        ),
        (
            "2025-04-16",
            "Long run of 14 miles along the Leeds Liverpool canal. Right knee started hurting at mile 11, limped home.",
            [
                ("When did my knee hurt on the canal run?", "exact"),
                ("When did I first get joint pain while training?", "paraphrase"),
            ],
        ),
        (
            "2025-05-02",
            "Sam and I had a proper row about the spare room. Sam wants an office, I want a guest room for Mum. Slept on the sofa.",
            [
                ("What did Sam and I argue about?", "exact"),
                ("When did my partner and I fight about the house?", "paraphrase"),
            ],
        ),
        (
            "2025-05-25",
            "Cardiac arrest on the ward at 4am. We got him back after two rounds of CPR. Shaking afterwards in the sluice room.",
            [
                ("When did a patient need CPR on my shift?", "exact"),
                ("When did someone nearly die on the ward?", "paraphrase"),
            ],
        ),
        (
            "2025-06-18",
            "Sports physio Ruth at the Headingley clinic said it is patellofemoral pain. Exercises with a band, and cut the mileage for two weeks.",
            [
                ("What did Ruth say about my knee?", "exact"),
                ("When did I see a specialist about my running injury?", "paraphrase"),
            ],
        ),
        (
            "2025-07-10",
            "Arrived on Skye. Camped near the Fairy Pools, midges everywhere. Sam loved the cold water, I did not.",
            [
                ("When did we go to the Fairy Pools?", "exact"),
                ("When did we go camping in the Scottish islands?", "paraphrase"),
            ],
        ),
        (
            "2025-07-13",
            "Climbed the Old Man of Storr in the fog. Saw nothing at the top, laughed about it all the way down.",
            [
                ("When did we walk up the Old Man of Storr?", "exact"),
                ("What happened on our hike in July 2025?", "dated"),
            ],
        ),
        (
            "2025-08-08",
            "Huge courgette glut. Gave eleven courgettes to the neighbours. Made chutney that tastes of vinegar.",
            [
                ("What did I do with all the courgettes?", "exact"),
                ("When did the allotment produce too many vegetables?", "paraphrase"),
            ],
        ),
        (
            "2025-08-29",
            "Burnout talk with my manager Bernadette. Agreed to drop to four night shifts a month. Felt embarrassed but lighter.",
            [
                ("What did Bernadette and I agree?", "exact"),
                ("When did I ask for fewer nights because I was exhausted?", "paraphrase"),
            ],
        ),
        (
            "2025-09-21",
            "Last long run before the taper: 20 miles. Knee held up. Sam cycled alongside with jelly babies.",
            [
                ("When did I run 20 miles?", "exact"),
                ("When was my longest training run?", "paraphrase"),
            ],
        ),
        (
            "2025-10-12",
            "York marathon done in 4 hours 12 minutes! Cried at the finish on the university campus. Mum and Sam waving a bedsheet banner.",
            [
                ("What was my time in the York marathon?", "exact"),
                ("How did my race go in October 2025?", "dated"),
            ],
        ),
        (
            "2025-10-30",
            "Pepper turned ten. Bought her a duck-shaped cake from the dog bakery in Chapel Allerton.",
            [
                ("What cake did I buy for Pepper?", "exact"),
                ("When was my dog's birthday?", "paraphrase"),
            ],
        ),
        (
            "2025-11-09",
            "Remembrance Sunday. Thought about Grandad Albert and his stories from the navy. Wore his medals for the first time.",
            [
                ("When did I wear Grandad Albert's medals?", "exact"),
                ("When did I think about my grandfather's war service?", "paraphrase"),
            ],
        ),
        (
            "2025-11-26",
            "Sam proposed at the allotment shed, with a ring hidden in a jar of our terrible chutney. I said yes before he finished.",
            [("How did Sam propose?", "exact"), ("When did I get engaged?", "paraphrase")],
        ),
        (
            "2025-12-14",
            "Ward Christmas party at the Brudenell. Gwen did a karaoke of Total Eclipse of the Heart. I danced, badly.",
            [
                ("What did Gwen sing at the Christmas party?", "exact"),
                ("What happened at the work party in December 2025?", "dated"),
            ],
        ),
        (
            "2025-12-31",
            "New Year's Eve quiet at home. Wrote down a list for 2026: wedding, allotment pond, no more marathons.",
            [
                ("What were my plans for 2026?", "exact"),
                ("When did I write my resolutions?", "paraphrase"),
            ],
        ),
    ],
    "lena": [
        (
            "2025-01-15",
            "Panic attack on the M10 tram at Eberswalder Strasse. Could not breathe, got off and sat on the pavement. A stranger gave me water.",
            [
                ("When did I have a panic attack on the M10?", "exact"),
                ("When did I feel I could not breathe on public transport?", "paraphrase"),
            ],
        ),
        (
            "2025-02-04",
            "First cello lesson with Herr Vogel in his flat in Kreuzberg. He says my bow hold is like holding a baguette.",
            [
                ("What did Herr Vogel say about my bow hold?", "exact"),
                ("When did I start learning a string instrument?", "paraphrase"),
            ],
        ),
        (
            "2025-02-27",
            "Handed in my notice at Datenwerk. My team lead Klaus was surprisingly kind about it. Three weeks left.",
            [
                ("When did I resign from Datenwerk?", "exact"),
                ("When did I quit my old job?", "paraphrase"),
            ],
        ),
        (
            "2025-03-17",
            "Aylin took me to the Turkish market on Maybachufer. Bought olives, pistachios and a blue ceramic bowl.",
            [
                ("When did Aylin take me to the Maybachufer market?", "exact"),
                ("When did I go shopping at the canal-side bazaar with my friend?", "paraphrase"),
            ],
        ),
        (
            "2025-04-01",
            "First day at Kestrel Labs. My manager Ewa gave me a plant for my desk and a laptop covered in stickers.",
            [
                ("What did Ewa give me on my first day?", "exact"),
                ("When did I begin the new developer role?", "paraphrase"),
            ],
        ),
        (
            "2025-04-24",
            "Broke production at Kestrel with a bad database migration. Rolled it back in 20 minutes but felt sick all evening.",
            [
                ("When did I break production at Kestrel?", "exact"),
                ("When did I make a serious mistake at work?", "paraphrase"),
            ],
        ),
        (
            "2025-05-10",
            "Started a meditation course at the Zen centre in Friedrichshain. Sitting still for 20 minutes felt like hours.",
            [
                ("When did I start at the Zen centre?", "exact"),
                ("When did I take up mindfulness practice?", "paraphrase"),
            ],
        ),
        (
            "2025-06-07",
            "Jonas' stag weekend in Hamburg. Boat trip on the Alster, too much Astra beer. Lost my voice singing.",
            [
                ("When was Jonas' stag weekend?", "exact"),
                ("When did I celebrate with my brother before his wedding?", "paraphrase"),
            ],
        ),
        (
            "2025-06-21",
            "Fête de la Musique. Played cello in public for the first time, in the Mauerpark with Herr Vogel's students. Hands shaking.",
            [
                ("When did I play at the Mauerpark?", "exact"),
                ("When did I perform music for strangers?", "paraphrase"),
            ],
        ),
        (
            "2025-07-19",
            "Insomnia again. Lay awake until 5am replaying the sprint review. Doctor Schulz suggested a sleep diary.",
            [
                ("What did Doctor Schulz suggest?", "exact"),
                ("How did I sleep in July 2025?", "dated"),
            ],
        ),
        (
            "2025-08-16",
            "Jonas married Mira in Hamburg at the Planten un Blomen garden. I gave a speech in German and English and nobody laughed at the wrong moment.",
            [
                ("When did Jonas marry Mira?", "exact"),
                ("When did I give a speech at my brother's wedding?", "paraphrase"),
            ],
        ),
        (
            "2025-09-03",
            "Ewa told me I will lead the search team from October. Excited and terrified in equal parts.",
            [
                ("What did Ewa tell me in September 2025?", "dated"),
                ("When was I promoted to leading a team?", "paraphrase"),
            ],
        ),
        (
            "2025-09-28",
            "Cycled to Potsdam with Aylin along the Havel. 45 kilometres, sore legs, ice cream at Sanssouci.",
            [
                ("When did I cycle to Potsdam?", "exact"),
                ("When did I ride a bike out of the city for a day?", "paraphrase"),
            ],
        ),
        (
            "2025-10-14",
            "Went to the Zen centre's silent retreat day. No phone for eight hours. The quiet was harder than any run.",
            [
                ("When was the silent retreat day?", "exact"),
                ("When did I go a whole day without my phone?", "paraphrase"),
            ],
        ),
        (
            "2025-10-31",
            "Signed the lease for the new flat in Wedding. Two rooms, a balcony facing the courtyard, a landlord called Frau Öztürk.",
            [
                ("Who is Frau Öztürk?", "exact"),
                ("When did I agree to rent a new apartment?", "paraphrase"),
            ],
        ),
        (
            "2025-11-08",
            "Moving day. Aylin and Jonas carried the cello like a coffin down four floors. Pizza on the boxes.",
            [
                ("Who helped me move the cello?", "exact"),
                ("What happened when I moved in November 2025?", "dated"),
            ],
        ),
        (
            "2025-11-20",
            "First week in Wedding. Found a bakery on Müllerstrasse that sells Franzbrötchen like in Hamburg.",
            [
                ("Where did I find Franzbrötchen?", "exact"),
                ("When did I discover a good bakery near my new home?", "paraphrase"),
            ],
        ),
        (
            "2025-12-05",
            "Herr Vogel said I am ready for the Bach cello suite No. 1. Practised the prelude until my neighbours knocked.",
            [
                ("When did I start the Bach suite?", "exact"),
                ("When did my teacher say I could play a famous classical piece?", "paraphrase"),
            ],
        ),
        (
            "2025-12-18",
            "Team dinner at the Vietnamese place on Kastanienallee. Ewa gave a toast to the search team. I felt I belong.",
            [
                ("Where was the team dinner with Ewa?", "exact"),
                ("What happened at the work dinner in December 2025?", "dated"),
            ],
        ),
        (
            "2025-12-29",
            "Looked back at the year. From the M10 panic attack to leading a team. Less anxious, more me.",
            [
                ("When did I reflect on my whole year?", "paraphrase"),
                ("When did I last mention the M10?", "exact"),
            ],
        ),
    ],
}

# Questions about a name or place and little else: they need the exact word, and every
# event entry that mentions it answers them.
NAME_QUESTIONS: dict[str, list[tuple[str, str]]] = {
    "maya": [
        ("Kofi", "What has Kofi said to me?"),
        ("Biscuit", "How has Biscuit been?"),
        ("Adaeze", "What's new with Adaeze?"),
        ("Halden", "Anything about Mr Halden?"),
        ("Rockover", "Rockover sessions"),
    ],
    "tom": [
        ("Gwen", "What has Gwen been up to?"),
        ("Pepper", "Pepper news"),
        ("Bernadette", "Conversations with Bernadette"),
        ("allotment", "What happened at the allotment?"),
        ("Skye", "The Skye trip"),
    ],
    "lena": [
        ("Ewa", "What has Ewa said?"),
        ("Aylin", "Days out with Aylin"),
        ("Herr Vogel", "Notes about Herr Vogel"),
        ("Jonas", "What did I do with Jonas?"),
        ("Zen centre", "Zen centre visits"),
    ],
}

FILLER = {
    "sleep": [
        "Slept {hours} hours. {feel}",
        "Woke up at {time} and could not get back to sleep. {feel}",
        "Decent night, {hours} hours. Dreamt about {dream}.",
    ],
    "work": [
        "Long day at work. {work_detail} {feel}",
        "Work was {work_mood} today. {work_detail}",
    ],
    "weather": [
        "{weather}. Went for a short walk at lunch.",
        "{weather} all day. Stayed in and {indoor}.",
    ],
    "food": ["Cooked {dish} for dinner. {feel}", "Lazy evening, ordered {takeaway}."],
    "mood": [
        "Mood about a {score} out of 10. {feel}",
        "Felt {adjective} for no clear reason. {feel}",
    ],
    # Everyday versions of the events' own activities, with nobody named: the distractors
    # that make a question about a named person or place need its exact words.
    "social": [
        "Lunch with {someone} at a little {cuisine} place. Talked about {topic}.",
        "Dinner with {someone}. We talked about {topic} until late.",
        "Went {activity} with {someone} after work. {feel}",
        "Phoned {someone} for an hour about {topic}.",
        "Took the {pet} to the vet for a routine check-up. All fine.",
        "Short {activity} session on my own. {feel}",
        "Argued with {someone} about {topic}. Made up later.",
        "Day trip to the seaside with {someone}. Lost my gloves on the train.",
        "Wrote a to-do list for the month and a few things I am grateful for.",
        "Gave a short talk at work. Hands shaking a bit, but it went fine.",
    ],
}
WORDS = {
    "hours": ["five", "six", "seven", "eight", "six and a half"],
    "time": ["3am", "4am", "5am", "2am"],
    "feel": [
        "Tired but fine.",
        "Bit flat.",
        "Quite content.",
        "Restless.",
        "Okay overall.",
        "Grateful for small things.",
    ],
    "dream": ["being late for a train", "my old school", "swimming in the sea", "losing my keys"],
    "work_detail": [
        "Too many meetings.",
        "Inbox finally under control.",
        "Helped a colleague with a tricky problem.",
        "Nothing special happened.",
    ],
    "work_mood": ["slow", "busy", "chaotic", "calm"],
    "weather": ["Grey and drizzly", "Bright and cold", "Windy", "Warm and sunny", "Foggy"],
    "indoor": ["read a novel", "tidied the kitchen", "watched a series", "did the laundry"],
    "dish": ["pasta with tomato sauce", "a vegetable curry", "soup", "stir fry", "omelette"],
    "takeaway": ["pizza", "noodles", "a kebab", "sushi"],
    "score": ["five", "six", "seven", "four"],
    "adjective": ["low", "anxious", "light", "irritable", "calm"],
    "someone": ["a friend", "a colleague", "my neighbour", "an old school friend", "my cousin"],
    "cuisine": ["Thai", "Italian", "Vietnamese", "Lebanese", "Korean"],
    "topic": ["work", "moving house", "holidays", "money", "family", "our plans for the summer"],
    "activity": ["climbing", "running", "cycling", "swimming", "walking"],
    "pet": ["cat", "dog"],
}


def filler_text(rng: random.Random) -> str:
    template = rng.choice(rng.choice(list(FILLER.values())))
    text = template
    for key, choices in WORDS.items():
        while "{" + key + "}" in text:
            text = text.replace("{" + key + "}", rng.choice(choices), 1)
    return text


def build() -> dict[str, object]:
    rng = random.Random(2025)
    personas = []
    questions = []
    for persona, events in PERSONAS.items():
        entries = []
        event_days = {day for day, _, _ in events}
        for number, (day, text, asks) in enumerate(events):
            entry_id = f"{persona}-event-{number:02d}"
            entries.append({"id": entry_id, "date": day, "text": text})
            for question, kind in asks:
                questions.append(
                    {"persona": persona, "question": question, "kind": kind, "answers": [entry_id]}
                )
        for word, question in NAME_QUESTIONS[persona]:
            answers = [
                f"{persona}-event-{n:02d}"
                for n, (_, text, _) in enumerate(events)
                if word.lower() in text.lower()
            ]
            questions.append(
                {"persona": persona, "question": question, "kind": "exact", "answers": answers}
            )
        day = date(YEAR, 1, 1)
        filler_number = 0
        while day.year == YEAR:
            if day.isoformat() not in event_days and rng.random() < 0.25:
                entries.append(
                    {
                        "id": f"{persona}-day-{filler_number:03d}",
                        "date": day.isoformat(),
                        "text": filler_text(rng),
                    }
                )
                filler_number += 1
            day += timedelta(days=1)
        entries.sort(key=lambda e: (e["date"], e["id"]))
        personas.append({"name": persona, "entries": entries})
    return {
        "description": (__doc__ or "").strip().splitlines()[0],
        "year": YEAR,
        "personas": personas,
        "questions": questions,
    }


def main() -> None:
    data = build()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    entries = sum(len(p["entries"]) for p in data["personas"])  # type: ignore[attr-defined]
    print(f"wrote {OUT}: {entries} entries, {len(data['questions'])} questions")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
