-- The records the frontend lists and adds.
CREATE TABLE records (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title      text        NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO records (title) VALUES ('Welcome to your Cloud Run private space');
