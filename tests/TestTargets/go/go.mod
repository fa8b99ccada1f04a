module contoso.example/leaky

go 1.22
