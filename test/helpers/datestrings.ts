/**
 * Strings shaped like dates and date-times, for testing src/domain/dateparse.ts against Python 3.11
 * (test/helpers/django_dateparse.py): every date layout fromisoformat knows (extended, basic, ISO
 * week), any separator (ASCII, multi-byte, a lone surrogate), hours alone, fractions of any length,
 * offsets with seconds and fractions, Django's one-digit fields, trailing whitespace and newlines,
 * digits of other scripts, and field values just inside and outside their ranges.
 */
import fc from "fast-check";

const NUMBERS = [
  "0",
  "1",
  "01",
  "09",
  "9",
  "10",
  "12",
  "13",
  "23",
  "24",
  "28",
  "29",
  "30",
  "31",
  "59",
  "60",
  "00",
  "5",
  "123",
  "2023",
  "2024",
  "1999",
  "0000",
  "0001",
  "9999",
  "2020",
  "2015",
  "53",
  "52",
  "4",
  "7",
  "8",
  "4000",
  "123456",
  "1234567",
  "000000",
  "99",
];
const TOKENS = [
  "2023",
  "2024",
  "0000",
  "0001",
  "9999",
  "-",
  "W",
  "W01",
  "W53",
  "01",
  "1",
  "09",
  "12",
  "13",
  "28",
  "29",
  "30",
  "31",
  "T",
  "t",
  " ",
  "\t",
  "\n",
  "é",
  "中",
  "😀",
  "\ud800",
  ":",
  "00",
  "10",
  "24",
  "59",
  "60",
  ".",
  ",",
  "5",
  "1234567",
  "Z",
  "z",
  "+",
  "+02",
  "-02",
  "+0230",
  "+02:30",
  "+02:30:15.5",
  "+24:00",
  "\u0663",
  "\uff11",
  "x",
  "/",
  "2023-09-28",
  "2023-9-8",
  "20230928",
  "2023W394",
  "2023-W39-4",
  "10:00",
  "1000",
];

/** Digits: random ones, or (more often) values at the edges of date and time fields. */
const digits = (min: number, max: number) =>
  fc.oneof(
    { weight: 1, arbitrary: fc.stringMatching(new RegExp(`^[0-9]{${min},${max}}$`)) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        ...NUMBERS.filter((n) => n.length >= min && n.length <= max),
        ...(min === 0 ? [""] : []),
      ),
    },
  );

const datePart = fc.oneof(
  fc.tuple(digits(4, 4), fc.constantFrom("-", ""), digits(1, 2), fc.constantFrom("-", "", "/"), digits(1, 3)),
  fc.tuple(
    digits(4, 4),
    fc.constantFrom("-W", "W"),
    digits(1, 2),
    fc.constantFrom("-", "", "x"),
    digits(0, 1),
  ),
  fc.tuple(fc.constantFrom(...TOKENS)),
);
const timePart = fc.tuple(
  digits(0, 2),
  fc.constantFrom(":", "", "."),
  digits(0, 2),
  fc.constantFrom(":", "", ",", "."),
  digits(0, 3),
  fc.constantFrom("", ".", ","),
  digits(0, 9),
);
const zonePart = fc.oneof(
  fc.constantFrom("", "Z", "z", " ", "  ", "\n", "Z\n", "+", "-"),
  fc.tuple(
    fc.constantFrom("+", "-", " +", " -", "Z", "\t-"),
    digits(0, 2),
    fc.constantFrom(":", "", "."),
    digits(0, 2),
    fc.constantFrom("", ":", "."),
    digits(0, 7),
  ),
);
const separator = fc.constantFrom("T", " ", "t", "x", "é", "中", "😀", "\ud800", "\n", "", "TT", "\u0663");

/** A date-like string (see the file's comment). */
export const dateLike: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(datePart, separator, timePart, zonePart).map(([d, s, t, z]) => d.join("") + s + t.join("") + z),
  fc.tuple(datePart, fc.constantFrom("", "\n", " ")).map(([d, end]) => d.join("") + end),
  fc.array(fc.constantFrom(...TOKENS), { minLength: 1, maxLength: 9 }).map((a) => a.join("")),
);
